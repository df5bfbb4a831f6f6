package dev.herald.core;

import java.time.Instant;
import java.util.Objects;

/**
 * One published message, as the broker sequenced it. Immutable; safe to share between threads.
 *
 * @param id        unique id of the message (unique across topics and broker instances)
 * @param topic     the exact topic it was published to
 * @param offset    its position in the topic: the first message of a topic's lifetime has offset 1, and each
 *                  later one the next integer, with no gap
 * @param timestamp when the broker accepted it, from the broker's clock
 * @param data      the payload, never {@code null}
 * @param <T>       payload type
 */
public record Message<T>(String id, String topic, long offset, Instant timestamp, T data) {

    /**
     * Validates the components.
     *
     * @param id        unique id
     * @param topic     exact topic
     * @param offset    offset, at least 1
     * @param timestamp acceptance time
     * @param data      payload
     */
    public Message {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(timestamp, "timestamp");
        Objects.requireNonNull(data, "data");
        if (offset < 1) {
            throw new IllegalArgumentException("offset must be >= 1, was " + offset);
        }
    }
}
