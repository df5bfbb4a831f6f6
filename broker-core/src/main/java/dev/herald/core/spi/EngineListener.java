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
     * Whether this node has an open subscription (exact or pattern) that matches the topic. An engine that keeps
     * topics in local memory asks before it drops a topic that retains nothing, so a topic with subscribers keeps
     * its offsets and epoch. Lock-free and cheap; may be called under the engine's own locks.
     *
     * @param topic a valid topic name
     * @return {@code true} if a local subscription would receive a message published to {@code topic}
     */
    boolean hasSubscribers(String topic);
}
