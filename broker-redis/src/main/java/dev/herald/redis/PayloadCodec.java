package dev.herald.redis;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Turns payloads into the bytes Redis stores and sends, and back. Each node decodes a message once, whatever the
 * number of its subscribers. Implementations must be thread-safe, and {@code decode(encode(p))} must equal
 * {@code p}.
 *
 * @param <T> payload type
 */
public interface PayloadCodec<T> {

    /**
     * The payload's bytes.
     *
     * @param payload not {@code null}
     * @return its bytes; the engine does not change them
     */
    byte[] encode(T payload);

    /**
     * A payload from its bytes.
     *
     * @param bytes what {@link #encode} returned, on this node or another; the codec may keep the array
     * @return the payload
     */
    T decode(byte[] bytes);

    /**
     * Strings as UTF-8.
     *
     * @return the codec
     */
    static PayloadCodec<String> utf8() {
        return Codecs.UTF8;
    }

    /**
     * Byte arrays as they are (copied on the way in, so a caller that changes its array later changes nothing).
     *
     * @return the codec
     */
    static PayloadCodec<byte[]> bytes() {
        return Codecs.BYTES;
    }
}

/** The built-in codecs. */
final class Codecs {
    static final PayloadCodec<String> UTF8 = new PayloadCodec<>() {
        @Override
        public byte[] encode(String payload) {
            return payload.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public String decode(byte[] bytes) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    };

    static final PayloadCodec<byte[]> BYTES = new PayloadCodec<>() {
        @Override
        public byte[] encode(byte[] payload) {
            return Arrays.copyOf(payload, payload.length);
        }

        @Override
        public byte[] decode(byte[] bytes) {
            return bytes;
        }
    };

    private Codecs() {
    }
}
