package dev.herald.core.spi;

import dev.herald.core.Message;
import java.util.List;

/**
 * Receives every message an engine sequences, whichever node published it.
 *
 * <p>Contract for engines: for each topic, call it in offset order and never concurrently for the same topic;
 * call it only after the message is readable through {@link Engine#read}, so a reader that registers interest,
 * then reads, misses nothing. The listener must not block.
 *
 * <p>An engine that receives a topic's messages through two ways, one for the subscriptions to the topic's name
 * and one for pattern subscriptions, hands each way's messages to {@link #onTopicMessages} and
 * {@link #onPatternMessages}; the contract then holds for each of the two on its own, and
 * {@link #onMessage}/{@link #onMessages} count as both.
 *
 * @param <T> payload type
 * @since 0.1
 */
public interface EngineListener<T> {

    /**
     * One sequenced message.
     *
     * @param message the message
     */
    void onMessage(Message<T> message);

    /**
     * Messages of one topic with consecutive offsets, sequenced together by {@link Engine#publishAll}: the same
     * contract as {@link #onMessage} for each of them, in list order. The default hands them over one by one; the
     * broker's own listener routes the batch once and wakes each subscription once.
     *
     * @param messages the messages, at least one, oldest first; the listener must not change the list
     */
    default void onMessages(List<Message<T>> messages) {
        for (Message<T> message : messages) {
            onMessage(message);
        }
    }

    /**
     * Messages of one topic for the subscriptions to that exact topic only, not for pattern subscriptions. The
     * default hands them to {@link #onMessages}, for listeners that do not tell the two apart.
     *
     * @param messages the messages, at least one, oldest first, consecutive offsets; not to be changed
     * @since 0.2
     */
    default void onTopicMessages(List<Message<T>> messages) {
        onMessages(messages);
    }

    /**
     * Messages of one topic for the pattern subscriptions that match it only. The default hands them to
     * {@link #onMessages}.
     *
     * @param messages the messages, at least one, oldest first; not to be changed
     * @since 0.2
     */
    default void onPatternMessages(List<Message<T>> messages) {
        onMessages(messages);
    }

    /**
     * The engine cannot continue a topic's stream where this node left it: its history started over under a new
     * epoch, or messages the node had not yet handed on have left the retained history. The broker closes the
     * topic's exact subscriptions with {@link dev.herald.core.CloseReason#CONTINUITY_LOST}, so their subscribers
     * resubscribe from their positions and learn what is missing. Call it in the topic's order of calls, before
     * any message of the new stream; messages the listener gets afterwards continue from the topic's new position.
     *
     * @param topic a valid topic name
     * @since 0.2
     */
    default void onContinuityLost(String topic) {
    }

    /**
     * Whether this node has an open subscription (exact or pattern) that matches the topic. An engine that keeps
     * topics in local memory asks before it drops a topic that retains nothing, so a topic with subscribers keeps
     * its offsets and epoch. Lock-free and cheap; may be called under the engine's own locks.
     *
     * @param topic a valid topic name
     * @return {@code true} if a local subscription would receive a message published to {@code topic}
     */
    boolean hasSubscribers(String topic);

    /**
     * Whether this node has an open subscription to exactly this filter (a topic name or a pattern), which is
     * what an engine asks to reconcile {@link Engine#interest} calls that may arrive out of order. Lock-free and
     * cheap. The default answers for topic names with {@link #hasSubscribers}, and {@code false} for patterns.
     *
     * @param filter a valid topic name or pattern
     * @return {@code true} if a local subscription to {@code filter} itself is open
     * @since 0.2
     */
    default boolean isSubscribed(String filter) {
        return !dev.herald.core.Topics.isPattern(filter) && hasSubscribers(filter);
    }
}
