package dev.herald.netty;

import dev.herald.core.Broker;
import dev.herald.core.BrokerStats;
import dev.herald.core.History;
import dev.herald.core.HistoryQuery;
import dev.herald.core.PublishResult;
import dev.herald.core.SubscribeOptions;
import dev.herald.core.Subscriber;
import dev.herald.core.Subscription;
import dev.herald.core.TopicStats;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;

/**
 * A real in-memory broker whose publish can be replaced by the test, to produce outcomes the in-memory engine
 * gives only under load (a back-pressure rejection) or timing (a publish that completes later).
 */
public final class ControllableBroker implements Broker<RawJson> {
    private final Broker<RawJson> delegate;
    private volatile BiFunction<String, RawJson, CompletionStage<PublishResult>> publish;

    /**
     * Wraps a broker.
     *
     * @param delegate the broker that does everything the test does not replace
     */
    public ControllableBroker(Broker<RawJson> delegate) {
        this.delegate = delegate;
    }

    /**
     * Replaces publish.
     *
     * @param publish called for every publish instead of the delegate
     */
    public void onPublish(BiFunction<String, RawJson, CompletionStage<PublishResult>> publish) {
        this.publish = publish;
    }

    /**
     * The wrapped broker.
     *
     * @return the delegate
     */
    public Broker<RawJson> delegate() {
        return delegate;
    }

    @Override
    public CompletionStage<PublishResult> publish(String topic, RawJson data) {
        BiFunction<String, RawJson, CompletionStage<PublishResult>> p = publish;
        return p != null ? p.apply(topic, data) : delegate.publish(topic, data);
    }

    @Override
    public CompletionStage<List<PublishResult>> publishAll(String topic, List<? extends RawJson> data) {
        return delegate.publishAll(topic, data);
    }

    @Override
    public CompletionStage<Subscription> subscribeAsync(String filter, SubscribeOptions options,
                                                        Subscriber<? super RawJson> subscriber) {
        return delegate.subscribeAsync(filter, options, subscriber);
    }

    @Override
    public CompletionStage<History<RawJson>> history(String topic, HistoryQuery query) {
        return delegate.history(topic, query);
    }

    @Override
    public Optional<TopicStats> topicStats(String topic) {
        return delegate.topicStats(topic);
    }

    @Override
    public BrokerStats stats() {
        return delegate.stats();
    }

    @Override
    public boolean isOpen() {
        return delegate.isOpen();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
