package dev.herald.core;

/**
 * One topic at one moment.
 *
 * @param topic         the topic name
 * @param position      its latest offset and epoch
 * @param retained      messages retained in history
 * @param retainedBytes their weight
 * @param subscribers   subscriptions to this exact topic on this broker (pattern subscriptions not included)
 */
public record TopicStats(String topic, StreamPosition position, long retained, long retainedBytes,
                         long subscribers) {
}
