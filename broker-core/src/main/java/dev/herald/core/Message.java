package dev.herald.core;

import java.time.Instant;
import java.util.Objects;

/**
 * One published message, as the broker sequenced it. Immutable; safe to share between threads. Two messages are
 * equal when all five of their components are.
 *
 * <p>A message made with {@link #withIdPrefix} builds its id the first time {@link #id()} is asked for: most
 * messages are delivered without anyone reading their id, and building it is a large part of the cost of a
 * publish.
 *
 * @param <T> payload type
 */
public final class Message<T> {
    private final String topic;
    private final long offset;
    private final Instant timestamp;
    private final T data;
    /** The id's text before the offset, for an id built on first use; {@code null} if the id was given. */
    private final String idPrefix;
    /**
     * The id, once known. Not volatile: threads that race to build it build equal strings, and a {@code String}
     * is safe to publish through a race, as {@code String.hash} is.
     */
    private String id;

    /**
     * Creates a message.
     *
     * @param id        unique id of the message (unique across topics and broker instances)
     * @param topic     the exact topic it was published to
     * @param offset    its position in the topic: the first message of a topic's lifetime has offset 1, and each
     *                  later one the next integer, with no gap
     * @param timestamp when the broker accepted it, from the broker's clock
     * @param data      the payload, never {@code null}
     * @throws NullPointerException     if a component is {@code null}
     * @throws IllegalArgumentException if {@code offset} is below 1
     */
    public Message(String id, String topic, long offset, Instant timestamp, T data) {
        this(null, Objects.requireNonNull(id, "id"), topic, offset, timestamp, data);
    }

    private Message(String idPrefix, String id, String topic, long offset, Instant timestamp, T data) {
        this.idPrefix = idPrefix;
        this.id = id;
        this.topic = Objects.requireNonNull(topic, "topic");
        this.timestamp = Objects.requireNonNull(timestamp, "timestamp");
        this.data = Objects.requireNonNull(data, "data");
        if (offset < 1) {
            throw new IllegalArgumentException("offset must be >= 1, was " + offset);
        }
        this.offset = offset;
    }

    /**
     * Creates a message whose id is {@code idPrefix} followed by the offset in decimal, built the first time it is
     * asked for. For engines whose ids have that form: the in-memory engine's are the topic's epoch, a dash and the
     * offset.
     *
     * @param idPrefix  the id's text before the offset; with the offset it must make a unique id
     * @param topic     the exact topic
     * @param offset    the offset, at least 1
     * @param timestamp the acceptance time
     * @param data      the payload
     * @param <T>       payload type
     * @return the message
     * @throws NullPointerException     if an argument is {@code null}
     * @throws IllegalArgumentException if {@code offset} is below 1
     */
    public static <T> Message<T> withIdPrefix(String idPrefix, String topic, long offset, Instant timestamp,
                                              T data) {
        return new Message<>(Objects.requireNonNull(idPrefix, "idPrefix"), null, topic, offset, timestamp, data);
    }

    /**
     * Unique id of the message (unique across topics and broker instances).
     *
     * @return the id
     */
    public String id() {
        String known = id;
        if (known == null) {
            known = idPrefix + offset;
            id = known;
        }
        return known;
    }

    /**
     * The exact topic the message was published to.
     *
     * @return the topic
     */
    public String topic() {
        return topic;
    }

    /**
     * The message's position in its topic: the first message of a topic's lifetime has offset 1, and each later one
     * the next integer, with no gap.
     *
     * @return the offset
     */
    public long offset() {
        return offset;
    }

    /**
     * When the broker accepted the message, from the broker's clock.
     *
     * @return the acceptance time
     */
    public Instant timestamp() {
        return timestamp;
    }

    /**
     * The payload.
     *
     * @return the payload, never {@code null}
     */
    public T data() {
        return data;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Message<?> that
                && offset == that.offset
                && topic.equals(that.topic)
                && id().equals(that.id())
                && timestamp.equals(that.timestamp)
                && data.equals(that.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id(), topic, offset, timestamp, data);
    }

    @Override
    public String toString() {
        return "Message[id=" + id() + ", topic=" + topic + ", offset=" + offset + ", timestamp=" + timestamp
                + ", data=" + data + "]";
    }
}
