package dev.herald.core;

import java.util.Objects;

/**
 * A position in one topic's stream: the offset of the last message a reader has, and the epoch of the
 * topic's history that the offset belongs to.
 *
 * <p>An epoch names one lifetime of a topic's history. When a topic is evicted and created again, or a broker
 * restarts with in-memory history, offsets start again at 1 under a new epoch, so an offset is only meaningful
 * together with its epoch.
 *
 * @param offset offset of the last message seen; 0 means "none yet"
 * @param epoch  epoch of the topic history the offset belongs to; empty when the topic does not exist
 */
public record StreamPosition(long offset, String epoch) {

    /**
     * Validates the components.
     *
     * @param offset offset, at least 0
     * @param epoch  epoch, not {@code null}
     */
    public StreamPosition {
        Objects.requireNonNull(epoch, "epoch");
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be >= 0, was " + offset);
        }
    }
}
