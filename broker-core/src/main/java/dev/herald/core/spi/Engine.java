package dev.herald.core.spi;

import dev.herald.core.History;
import dev.herald.core.HistoryQuery;
import dev.herald.core.PublishResult;
import dev.herald.core.StreamPosition;
import dev.herald.core.TopicStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Sequencing, history and node-level interest: the state of a broker, behind one asynchronous boundary.
 *
 * <p>The broker validates input, then calls {@link #publish}; the engine assigns the next offset of the topic
 * (from 1, gapless, monotonic within an epoch), an id and a timestamp, stores the message under the history
 * policy, and hands it to the {@link EngineListener} given to {@link #start}. Engines that share topics between
 * nodes hand it to the listeners of every node that declared {@link #interest} in the topic, the publishing node
 * included. The in-memory engine completes every stage before returning it; a remote engine completes them later,
 * and must never block the calling thread: callers include network event loops.
 *
 * <p>A shared engine that cannot reach its store answers publishes with
 * {@link dev.herald.core.RejectReason#ENGINE_UNAVAILABLE} and fails reads and interest with a
 * {@link dev.herald.core.HeraldException} of that reason, rather than waiting; it never reports a message as
 * accepted that it did not store.
 *
 * <p>Thread contract: every method may be called from any thread, concurrently.
 *
 * @param <T> payload type
 * @since 0.1
 */
public interface Engine<T> extends AutoCloseable {

    /**
     * Starts the engine. Called once, before any other method.
     *
     * @param listener where every sequenced message goes, as {@link EngineListener} describes
     */
    void start(EngineListener<T> listener);

    /**
     * Sequences and stores one message. Topic and payload are already validated.
     *
     * @param topic a valid topic name
     * @param data  the payload, not {@code null}
     * @return the outcome: {@link PublishResult.Accepted} once the message is stored (and, for the in-memory engine,
     *         handed to the listener), or {@link PublishResult.Rejected} (for example for too many topics, when
     *         closed, or when a shared store is unreachable)
     */
    CompletionStage<PublishResult> publish(String topic, T data);

    /**
     * Sequences and stores several messages of one topic, in list order. Topic and payloads are already
     * validated, and the list is not empty.
     *
     * <p>An engine that can sequence a batch at once overrides this. The in-memory engine takes the topic's lock
     * once, gives the batch consecutive offsets and one timestamp, and hands it to
     * {@link EngineListener#onMessages} in one call. The default publishes the elements one after another, each
     * once the previous one completed, so other publishes to the topic may come between them.
     *
     * @param topic a valid topic name
     * @param data  the payloads, none {@code null}: the caller's list, to read before returning and not to keep
     * @return one outcome per element, in list order, as {@link #publish} would give it
     */
    default CompletionStage<List<PublishResult>> publishAll(String topic, List<? extends T> data) {
        List<PublishResult> results = new ArrayList<>(data.size());
        CompletionStage<?> previous = CompletableFuture.completedFuture(null);
        for (T item : data) {
            previous = previous.thenCompose(ignored -> publish(topic, item)).thenAccept(results::add);
        }
        return previous.thenApply(ignored -> results);
    }

    /**
     * Reads retained messages of one topic. Must not create the topic.
     *
     * @param topic a valid topic name
     * @param query which messages
     * @return the history and the topic's position at the moment of the read
     */
    CompletionStage<History<T>> read(String topic, HistoryQuery query);

    /**
     * Declares or withdraws this node's interest in a topic or pattern: the broker calls it with {@code true}
     * after each local subscription to {@code filter} registered, and with {@code false} after the last one left.
     * The broker holds no lock during the call, so when a subscribe and an unsubscribe of one filter race, the two
     * calls may arrive in either order: treat them as prompts and reconcile with
     * {@link EngineListener#hasSubscribers}. A distributed engine subscribes to the shared stream accordingly;
     * the in-memory engine uses them to create a subscribed topic and to drop an unused one at once.
     *
     * <p>The stage of a {@code true} call completes once the interest is in effect: every message published to
     * the filter after that reaches the listener. For a topic name it also means the topic exists (with an epoch),
     * so that the read the broker makes next reports a position a client can resume from. The broker reads a
     * subscription's replay only after this stage completed, which is how a replay and live delivery meet without
     * a gap. The stage of a {@code false} call may complete at once.
     *
     * @param filter     a valid topic name or pattern
     * @param interested whether the node now has subscriptions to it
     * @return completes when the interest is in effect; fails with a {@link dev.herald.core.HeraldException}
     *         ({@link dev.herald.core.RejectReason#TOO_MANY_TOPICS} if the topic cannot be created,
     *         {@link dev.herald.core.RejectReason#ENGINE_UNAVAILABLE} if a shared store is unreachable)
     * @throws dev.herald.core.HeraldException instead of failing the stage, if the engine knows at once
     */
    CompletionStage<Void> interest(String filter, boolean interested);

    /**
     * Completes once the listener has been handed every message of the topic up to {@code position}: the broker
     * waits for it after a subscription's replay read, before it merges the replay with the live messages the
     * subscription buffered meanwhile, so that no live message at or below the read's position can still be on its
     * way (it would arrive after the subscription moved past it, and be dropped as old). An engine whose listener
     * gets each message before the publish completes, like the in-memory one, completes at once (the default). A
     * shared engine whose live messages arrive after its store answered the read waits for them; for a topic it
     * does not follow, or a position of another epoch, it completes at once.
     *
     * @param topic    a topic with an open subscription on this node
     * @param position a position the engine reported for the topic
     * @return completes when the messages up to the position were handed on
     * @since 0.2
     */
    default CompletionStage<Void> liveReached(String topic, StreamPosition position) {
        return CompletableFuture.completedFuture(null);
    }

    /**
     * This engine's view of one topic.
     *
     * @param topic a valid topic name
     * @return the topic's stats, or empty if it does not exist; a shared engine asks its store
     */
    CompletionStage<Optional<TopicStats>> topicStats(String topic);

    /**
     * How many topics exist, as far as this node can tell without asking anyone: a shared engine counts the
     * topics this node follows for its subscriptions. Cheap; called by monitoring threads and event loops.
     *
     * @return the count
     */
    long topicCount();

    /**
     * Runs periodic upkeep, such as evicting history past its age. The broker calls it from a background thread
     * every second or so when the history policy {@link dev.herald.core.policy.HistoryPolicy#expiresByAge()
     * expires by age}.
     */
    void sweep();

    /** Stops the engine; later publishes are rejected with {@link dev.herald.core.RejectReason#BROKER_CLOSED}. */
    @Override
    void close();
}
