package dev.herald.core;

import java.time.Instant;
import java.util.Objects;

/**
 * The outcome of {@link Broker#publish}: the message was sequenced ({@link Accepted}) or refused
 * ({@link Rejected}). Refusals are expected outcomes and are returned, never thrown.
 */
public sealed interface PublishResult {

    /**
     * Whether the message was accepted.
     *
     * @return {@code true} for {@link Accepted}
     */
    boolean accepted();

    /**
     * The message was sequenced, stored according to the history policy and handed to delivery.
     *
     * @param id        the message id
     * @param topic     the topic
     * @param offset    the offset assigned
     * @param epoch     the epoch of the topic's history the offset belongs to
     * @param timestamp the acceptance time
     */
    record Accepted(String id, String topic, long offset, String epoch, Instant timestamp) implements PublishResult {
        /**
         * Validates the components.
         *
         * @param id        the message id
         * @param topic     the topic
         * @param offset    the offset assigned
         * @param epoch     the epoch
         * @param timestamp the acceptance time
         */
        public Accepted {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(topic, "topic");
            Objects.requireNonNull(epoch, "epoch");
            Objects.requireNonNull(timestamp, "timestamp");
        }

        @Override
        public boolean accepted() {
            return true;
        }

        /**
         * The position of this message in its topic.
         *
         * @return offset and epoch
         */
        public StreamPosition position() {
            return new StreamPosition(offset, epoch);
        }
    }

    /**
     * The message was not sequenced; nobody received it.
     *
     * @param reason  why
     * @param message a human description
     */
    record Rejected(RejectReason reason, String message) implements PublishResult {
        /**
         * Validates the components.
         *
         * @param reason  why
         * @param message a human description
         */
        public Rejected {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(message, "message");
        }

        @Override
        public boolean accepted() {
            return false;
        }
    }
}
