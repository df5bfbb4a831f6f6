package dev.herald.core;

import dev.herald.core.spi.Engine;
import dev.herald.core.spi.EngineListener;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * An engine that forwards every call to another one; tests extend it to change the one behaviour they study
 * (answering reads late, holding messages back) and keep the rest of the real engine.
 *
 * @param <T> payload type
 */
public abstract class ForwardingEngine<T> implements Engine<T> {

    /** For subclasses. */
    protected ForwardingEngine() {
    }

    /** The engine calls are forwarded to. */
    protected abstract Engine<T> delegate();

    @Override
    public void start(EngineListener<T> listener) {
        delegate().start(listener);
    }

    @Override
    public CompletionStage<PublishResult> publish(String topic, T data) {
        return delegate().publish(topic, data);
    }

    @Override
    public CompletionStage<List<PublishResult>> publishAll(String topic, List<? extends T> data) {
        return delegate().publishAll(topic, data);
    }

    @Override
    public CompletionStage<History<T>> read(String topic, HistoryQuery query) {
        return delegate().read(topic, query);
    }

    @Override
    public CompletionStage<Void> interest(String filter, boolean interested) {
        return delegate().interest(filter, interested);
    }

    @Override
    public CompletionStage<Void> liveReached(String topic, StreamPosition position) {
        return delegate().liveReached(topic, position);
    }

    @Override
    public CompletionStage<Optional<TopicStats>> topicStats(String topic) {
        return delegate().topicStats(topic);
    }

    @Override
    public long topicCount() {
        return delegate().topicCount();
    }

    @Override
    public void sweep() {
        delegate().sweep();
    }

    @Override
    public void close() {
        delegate().close();
    }
}
