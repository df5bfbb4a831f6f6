package dev.herald.netty;

import dev.herald.core.Message;
import dev.herald.netty.internal.JsonSupport;
import dev.herald.netty.internal.RawJsonAccess;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A payload that is one valid JSON value (object, array, string, number, boolean or null), kept as the UTF-8
 * bytes it arrived as. Validated once, when created; never parsed again. Immutable and thread-safe.
 *
 * <p>This is the payload type of a broker served by {@code HeraldServer}: publish {@code RawJson} in-process and
 * WebSocket clients receive it unchanged as the message's {@code data}.
 */
public final class RawJson {
    static {
        RawJsonAccess.install(new RawJsonAccess.Accessor() {
            @Override
            public RawJson trusted(byte[] utf8) {
                return RawJson.trusted(utf8);
            }

            @Override
            public byte[] bytes(RawJson json) {
                return json.bytes();
            }

            @Override
            public byte[] frameOf(Message<RawJson> message) {
                return message.data().frameOf(message);
            }
        });
    }

    private final byte[] utf8;
    /** The last message frame encoded with this payload, shared by all its subscribers. */
    private volatile EncodedFrame frame;

    private RawJson(byte[] utf8) {
        this.utf8 = utf8;
    }

    /**
     * Parses and validates JSON text.
     *
     * @param json one JSON value
     * @return the payload
     * @throws IllegalArgumentException if {@code json} is not exactly one valid JSON value
     */
    public static RawJson of(String json) {
        return ofUtf8(Objects.requireNonNull(json, "json").getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Validates UTF-8 JSON bytes. The array is copied.
     *
     * @param utf8 one JSON value, UTF-8 encoded
     * @return the payload
     * @throws IllegalArgumentException if the bytes are not exactly one valid JSON value
     */
    public static RawJson ofUtf8(byte[] utf8) {
        byte[] copy = Arrays.copyOf(Objects.requireNonNull(utf8, "utf8"), utf8.length);
        String problem = JsonSupport.validateValue(copy, 0, copy.length);
        if (problem != null) {
            throw new IllegalArgumentException("not a single JSON value: " + problem);
        }
        return new RawJson(copy);
    }

    /** Wraps bytes the caller has already validated and will not change. */
    static RawJson trusted(byte[] utf8) {
        return new RawJson(utf8);
    }

    /**
     * The JSON text.
     *
     * @return the value as a string
     */
    public String json() {
        return new String(utf8, StandardCharsets.UTF_8);
    }

    /**
     * The size of the JSON text in bytes; the broker's weigher for history limits.
     *
     * @return the number of UTF-8 bytes
     */
    public int size() {
        return utf8.length;
    }

    /** The bytes, not copied: callers must not change them. */
    byte[] bytes() {
        return utf8;
    }

    /**
     * The message's JSON frame text, encoded once and then shared by every subscriber of the message. Two
     * threads may race to encode it; both get equal bytes and one of them is kept.
     */
    byte[] frameOf(Message<RawJson> message) {
        EncodedFrame cached = frame;
        if (cached != null && cached.message == message) {
            return cached.bytes;
        }
        byte[] encoded = JsonSupport.encodeMessage(message, utf8);
        frame = new EncodedFrame(message, encoded);
        return encoded;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RawJson other && Arrays.equals(utf8, other.utf8);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(utf8);
    }

    @Override
    public String toString() {
        return json();
    }

    private record EncodedFrame(Message<RawJson> message, byte[] bytes) {
    }
}
