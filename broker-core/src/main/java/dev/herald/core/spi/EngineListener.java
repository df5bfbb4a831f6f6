package dev.herald.core.spi;

import dev.herald.core.Message;

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
@FunctionalInterface
public interface EngineListener<T> {

    /**
     * One sequenced message.
     *
     * @param message the message
     */
    void onMessage(Message<T> message);
}
