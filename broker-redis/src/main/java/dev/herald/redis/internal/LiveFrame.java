package dev.herald.redis.internal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One frame the publish function sends to a topic's channels: the messages of one publish (one or a batch), with
 * their epoch, first offset and timestamp. Text header, then the payloads back to back:
 * {@code 1|epoch|first offset|timestamp nanos|count|length,length,...|payloads}.
 *
 * <p>Immutable; the payload slices are copied out only when asked for.
 */
final class LiveFrame {
    final String epoch;
    final long firstOffset;
    final long timestampNanos;
    final int count;
    private final byte[] frame;
    private final int[] starts;
    private final int[] ends;

    private LiveFrame(String epoch, long firstOffset, long timestampNanos, byte[] frame, int[] starts, int[] ends) {
        this.epoch = epoch;
        this.firstOffset = firstOffset;
        this.timestampNanos = timestampNanos;
        this.count = starts.length;
        this.frame = frame;
        this.starts = starts;
        this.ends = ends;
    }

    long lastOffset() {
        return firstOffset + count - 1;
    }

    /** The payload of the message at {@code index}, 0 for the first. */
    byte[] payload(int index) {
        return Arrays.copyOfRange(frame, starts[index], ends[index]);
    }

    /**
     * Parses a frame.
     *
     * @throws IllegalArgumentException if it is not a frame of this version
     */
    static LiveFrame parse(byte[] frame) {
        int[] at = {0};
        String version = field(frame, at);
        if (!version.equals("1")) {
            throw new IllegalArgumentException("unknown frame version '" + version + "'");
        }
        String epoch = field(frame, at);
        long first = Long.parseLong(field(frame, at));
        long timestamp = Long.parseLong(field(frame, at));
        int count = Integer.parseInt(field(frame, at));
        String lengths = field(frame, at);
        if (count < 1 || first < 1) {
            throw new IllegalArgumentException("frame with " + count + " messages from offset " + first);
        }
        String[] each = lengths.split(",", -1);
        if (each.length != count) {
            throw new IllegalArgumentException("frame of " + count + " messages with " + each.length + " lengths");
        }
        int[] starts = new int[count];
        int[] ends = new int[count];
        int position = at[0];
        for (int i = 0; i < count; i++) {
            int length = Integer.parseInt(each[i]);
            starts[i] = position;
            position += length;
            ends[i] = position;
        }
        if (position != frame.length) {
            throw new IllegalArgumentException("frame payloads end at " + position + " of " + frame.length);
        }
        return new LiveFrame(epoch, first, timestamp, frame, starts, ends);
    }

    private static String field(byte[] frame, int[] at) {
        int start = at[0];
        for (int i = start; i < frame.length; i++) {
            if (frame[i] == '|') {
                at[0] = i + 1;
                return new String(frame, start, i - start, StandardCharsets.US_ASCII);
            }
        }
        throw new IllegalArgumentException("truncated frame");
    }
}
