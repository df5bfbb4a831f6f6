package dev.herald.core;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * A publish/subscribe broker: topics with per-topic offsets and history, subscriptions to topics and patterns,
 * bounded ordered delivery.
 *
 * <p>Thread contract: thread-safe; every method may be called from any thread. Publishes to one topic are
 * sequenced in the order they take effect; each subscription sees each topic's messages in offset order.
 *
 * <pre>{@code
 * try (Broker<String> broker = Broker.<String>builder().history(HistoryPolicy.lastN(100)).build()) {
 *     Subscription s = broker.subscribe("orders.>", m -> System.out.println(m.offset() + " " + m.data()));
 *     broker.publish("orders.eu", "created");
 * }
 * }</pre>
 *
 * @param <T> payload type
 */
public interface Broker<T> extends AutoCloseable {

    /**
     * A builder for a broker with the in-memory engine and default settings.
     *
     * @param <T> payload type
     * @return a new builder
     */
    static <T> BrokerBuilder<T> builder() {
        return new BrokerBuilder<>();
    }

    /**
     * Publishes one message. Expected refusals (closed broker, invalid topic, {@code null} payload, topic limit,
     * back-pressure timeout) come back as {@link PublishResult.Rejected}, never as exceptions.
     *
     * <p>Returns without blocking, except while a subscription with the {@code block} delivery policy is full:
     * then the calling thread waits up to that policy's timeout.
     *
     * @param topic a topic name (no wildcards)
     * @param data  the payload
     * @return the outcome; the in-memory engine completes it before returning
     */
    CompletionStage<PublishResult> publish(String topic, T data);

    /**
     * Publishes several messages to one topic, in list order: the outcome of each is what {@link #publish} would
     * give it. An invalid topic, a {@code null} element or a closed broker refuses every element, and nothing of
     * the batch is published. An empty list publishes nothing.
     *
     * <p>Cheaper per message than as many calls to {@code publish}: the in-memory engine sequences the whole batch
     * under one lock with one timestamp and consecutive offsets, no other publish to the topic comes between its
     * messages, and each subscription is woken once for the batch. While a subscription with the {@code block}
     * delivery policy exists, the messages are published one at a time, each waiting as {@code publish} does.
     *
     * @param topic a topic name (no wildcards)
     * @param data  the payloads; read before this method returns, and not to be changed meanwhile
     * @return one outcome per element, in list order; the in-memory engine completes it before returning
     * @throws NullPointerException if {@code data} is {@code null}
     */
    CompletionStage<List<PublishResult>> publishAll(String topic, List<? extends T> data);

    /**
     * Subscribes to a topic or pattern, live, with the default delivery policy. Same as
     * {@code subscribe(filter, SubscribeOptions.live(), subscriber)}.
     *
     * @param filter     a topic name or pattern ({@link Topics})
     * @param subscriber receives the messages
     * @return the open subscription
     * @throws HeraldException if the filter is invalid, the topic limit is reached or the broker is closed
     */
    default Subscription subscribe(String filter, Subscriber<? super T> subscriber) {
        return subscribe(filter, SubscribeOptions.live(), subscriber);
    }

    /**
     * Subscribes and waits until any replay has been taken from history. Blocks only when a remote engine is
     * slow to answer; with the in-memory engine it never blocks.
     *
     * @param filter     a topic name or pattern ({@link Topics})
     * @param options    start position and delivery policy
     * @param subscriber receives the messages
     * @return the open subscription
     * @throws HeraldException if the filter is invalid, a resume is asked for a pattern, the position lies beyond
     *                         the topic's end, the topic limit is reached or the broker is closed
     */
    default Subscription subscribe(String filter, SubscribeOptions options, Subscriber<? super T> subscriber) {
        try {
            return subscribeAsync(filter, options, subscriber).toCompletableFuture().join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw e;
        }
    }

    /**
     * Subscribes without blocking. The stage completes with the subscription once any replay has been taken
     * from history, or fails with a {@link HeraldException}. Live messages published after this call starts
     * are delivered after the replay, with no gap and no duplicate.
     *
     * @param filter     a topic name or pattern ({@link Topics})
     * @param options    start position and delivery policy
     * @param subscriber receives the messages
     * @return the subscription, when ready
     */
    CompletionStage<Subscription> subscribeAsync(String filter, SubscribeOptions options,
                                                 Subscriber<? super T> subscriber);

    /**
     * Reads a topic's retained messages, oldest first. A topic that does not exist has an empty history.
     *
     * @param topic a topic name (no wildcards)
     * @param query which messages
     * @return the history; fails with {@link HeraldException} for an invalid topic
     */
    CompletionStage<History<T>> history(String topic, HistoryQuery query);

    /**
     * One topic's current state. With the in-memory engine this never blocks; a shared engine asks its store, and
     * the call waits for the answer (bounded by the engine's timeout).
     *
     * @param topic a topic name
     * @return its stats, or empty if it does not exist (or the name is invalid)
     * @throws HeraldException with {@link RejectReason#ENGINE_UNAVAILABLE} if a shared engine cannot answer
     */
    Optional<TopicStats> topicStats(String topic);

    /**
     * Broker-wide counters. Safe to call from a monitoring thread.
     *
     * @return the counters at the time of the call
     */
    BrokerStats stats();

    /**
     * Whether the broker accepts publishes and subscriptions.
     *
     * @return {@code false} once {@link #close()} has begun
     */
    boolean isOpen();

    /**
     * Closes the broker: later publishes and subscribes are refused, every open subscription is closed with
     * {@link CloseReason#BROKER_CLOSED} after the messages already queued for it are delivered (within a short
     * grace period; the rest are counted as dropped), and the threads the broker started are stopped.
     * Idempotent.
     */
    @Override
    void close();
}
