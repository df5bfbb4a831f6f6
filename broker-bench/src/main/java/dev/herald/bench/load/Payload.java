package dev.herald.bench.load;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The benchmark payload and how it is found again. The data of every published message is
 * {@code {"hr":RUN,"hp":PUBLISHER,"hs":SEQUENCE,"ht":INTENDED_NANOS,"x":"padding"}}, padded to the requested size.
 * On receipt the fields are read by scanning the frame's bytes for {@code {"hr":} and the digits after each fixed
 * key: no JSON parse per delivery. Topic names never contain {@code "}, so the marker cannot occur before the data.
 *
 * <p>Stateless apart from a reusable builder; one instance per thread.
 */
final class Payload {
    private static final byte[] MARKER = {'{', '"', 'h', 'r', '"', ':'};

    /** The fields of a received message's data, filled in by {@link #scan}. Reused; one per thread. */
    static final class Fields {
        long run;
        int publisher;
        long sequence;
        long intendedNanos;
        /** The message's offset, or -1 if it was not asked for. */
        long offset;
    }

    private final StringBuilder text = new StringBuilder(256);
    private final String padding;
    private final int payloadBytes;

    Payload(int payloadBytes) {
        this.payloadBytes = payloadBytes;
        char[] pad = new char[Math.max(0, payloadBytes)];
        Arrays.fill(pad, 'x');
        this.padding = new String(pad);
    }

    /** The data value for one message, exactly {@code payloadBytes} long when that is at least the fixed part. */
    CharSequence data(long run, int publisher, long sequence, long intendedNanos) {
        text.setLength(0);
        text.append("{\"hr\":").append(run).append(",\"hp\":").append(publisher).append(",\"hs\":").append(sequence)
                .append(",\"ht\":").append(intendedNanos).append(",\"x\":\"");
        int pad = Math.max(0, payloadBytes - text.length() - 2);
        text.append(padding, 0, pad).append("\"}");
        return text;
    }

    /** A whole publish command for the WebSocket publish action. */
    CharSequence wsPublish(String topic, long run, int publisher, long sequence, long intendedNanos) {
        data(run, publisher, sequence, intendedNanos);
        text.insert(0, "\",\"data\":").insert(0, topic).insert(0, "{\"action\":\"publish\",\"topic\":\"").append('}');
        return text;
    }

    /** A publish command as above, with a request {@code "id"} the server copies into its answer. */
    CharSequence wsPublish(String topic, long run, int publisher, long sequence, long intendedNanos, long id) {
        wsPublish(topic, run, publisher, sequence, intendedNanos);
        text.setLength(text.length() - 1);
        return text.append(",\"id\":").append(id).append('}');
    }

    /** The body of {@code POST /publish}. */
    CharSequence httpPublish(String topic, long run, int publisher, long sequence, long intendedNanos) {
        data(run, publisher, sequence, intendedNanos);
        text.insert(0, "\",\"data\":").insert(0, topic).insert(0, "{\"topic\":\"").append('}');
        return text;
    }

    /**
     * Reads the benchmark fields of a delivered message.
     *
     * @param frame       the frame's text
     * @param wantOffset  also read the message's {@code "offset"} field
     * @param into        receives the fields
     * @return {@code false} if the frame carries no benchmark payload (a control frame)
     */
    static boolean scan(ByteBuf frame, boolean wantOffset, Fields into) {
        int start = frame.readerIndex();
        int end = frame.writerIndex();
        // A message is {"id":..,"topic":..,"offset":..,"timestamp":..,"data":{"hr":..}: its second '{' opens the
        // data (ids, topics and timestamps contain none). ByteBuf.indexOf(byte) is the fast, vectorised search.
        int at = frame.indexOf(start + 1, end, (byte) '{');
        if (at < 0 || !startsWith(frame, at, end, MARKER)) {
            at = indexOf(frame, start, end, MARKER);
            if (at < 0) {
                return false;
            }
        }
        int[] cursor = {at + MARKER.length};
        into.run = digits(frame, cursor, end);
        into.publisher = (int) afterKey(frame, cursor, end, 'p');
        into.sequence = afterKey(frame, cursor, end, 's');
        into.intendedNanos = afterKey(frame, cursor, end, 't');
        into.offset = wantOffset ? offset(frame, start, at) : -1;
        return true;
    }

    /** Reads {@code ,"hK":digits} at the cursor. */
    private static long afterKey(ByteBuf frame, int[] cursor, int end, char key) {
        int i = cursor[0];
        if (i + 6 > end || frame.getByte(i) != ',' || frame.getByte(i + 1) != '"' || frame.getByte(i + 2) != 'h'
                || frame.getByte(i + 3) != key || frame.getByte(i + 4) != '"' || frame.getByte(i + 5) != ':') {
            throw new IllegalArgumentException("malformed benchmark payload near byte " + i + ": "
                    + frame.toString(frame.readerIndex(), Math.min(200, frame.readableBytes()),
                    StandardCharsets.UTF_8));
        }
        cursor[0] = i + 6;
        return digits(frame, cursor, end);
    }

    private static long digits(ByteBuf frame, int[] cursor, int end) {
        int i = cursor[0];
        boolean negative = i < end && frame.getByte(i) == '-';
        if (negative) {
            i++;
        }
        long value = 0;
        int first = i;
        while (i < end) {
            byte b = frame.getByte(i);
            if (b < '0' || b > '9') {
                break;
            }
            value = value * 10 + (b - '0');
            i++;
        }
        if (i == first) {
            throw new IllegalArgumentException("expected digits at byte " + i);
        }
        cursor[0] = i;
        return negative ? -value : value;
    }

    private static final byte[] OFFSET_KEY = {'"', 'o', 'f', 'f', 's', 'e', 't', '"', ':'};

    private static long offset(ByteBuf frame, int start, int end) {
        int at = indexOf(frame, start, end, OFFSET_KEY);
        if (at < 0) {
            return -1;
        }
        int[] cursor = {at + OFFSET_KEY.length};
        return digits(frame, cursor, end);
    }

    private static boolean startsWith(ByteBuf buf, int at, int end, byte[] prefix) {
        if (at + prefix.length > end) {
            return false;
        }
        for (int j = 0; j < prefix.length; j++) {
            if (buf.getByte(at + j) != prefix[j]) {
                return false;
            }
        }
        return true;
    }

    static int indexOf(ByteBuf buf, int from, int to, byte[] needle) {
        int last = to - needle.length;
        byte first = needle[0];
        outer:
        for (int i = from; i <= last; i++) {
            if (buf.getByte(i) != first) {
                continue;
            }
            for (int j = 1; j < needle.length; j++) {
                if (buf.getByte(i + j) != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
