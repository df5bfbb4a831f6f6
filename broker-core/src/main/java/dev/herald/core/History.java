package dev.herald.core;

import java.util.List;
import java.util.Objects;

/**
 * The result of a history read: the selected messages, oldest first, and where the topic stood at the moment
 * of the read.
 *
 * @param messages     the messages, oldest first; immutable
 * @param position     the topic's latest offset and epoch at the read; offset 0 and empty epoch if the topic does
 *                     not exist
 * @param oldestOffset offset of the oldest retained message at the read, or {@code position.offset() + 1} if none
 *                     is retained
 * @param <T>          payload type
 */
public record History<T>(List<Message<T>> messages, StreamPosition position, long oldestOffset) {

    /**
     * Validates the components and copies the list.
     *
     * @param messages     the messages
     * @param position     the topic position
     * @param oldestOffset the oldest retained offset
     */
    public History {
        messages = List.copyOf(messages);
        Objects.requireNonNull(position, "position");
    }
}
