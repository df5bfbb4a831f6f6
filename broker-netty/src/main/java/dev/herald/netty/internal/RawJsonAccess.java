package dev.herald.netty.internal;

import dev.herald.core.Message;
import dev.herald.netty.RawJson;
import java.util.Objects;

/**
 * The server's own access to {@link RawJson} internals that are not public API: wrapping bytes that were already
 * validated (so a payload parsed as part of a larger document is not parsed again), the raw bytes, and the
 * shared, encode-once message frame. {@code RawJson} installs the implementation when its class initializes.
 */
public final class RawJsonAccess {
    /** What {@code RawJson} exposes to the server. */
    public interface Accessor {
        /**
         * Wraps bytes the caller has validated as exactly one JSON value and will not change.
         *
         * @param utf8 the bytes, not copied
         * @return the payload
         */
        RawJson trusted(byte[] utf8);

        /**
         * The payload's bytes, not copied.
         *
         * @param json the payload
         * @return its UTF-8 bytes, which callers must not change
         */
        byte[] bytes(RawJson json);

        /**
         * The message frame, encoded once per message and shared by all subscribers.
         *
         * @param message a message with a {@code RawJson} payload
         * @return the frame's UTF-8 bytes, which callers must not change
         */
        byte[] frameOf(Message<RawJson> message);
    }

    private static volatile Accessor accessor;

    private RawJsonAccess() {
    }

    /**
     * Called once by {@code RawJson}'s static initializer.
     *
     * @param implementation the accessor
     */
    public static void install(Accessor implementation) {
        accessor = Objects.requireNonNull(implementation, "implementation");
    }

    /**
     * Wraps validated bytes without copying or parsing them again.
     *
     * @param utf8 exactly one valid JSON value, which the caller will not change
     * @return the payload
     */
    public static RawJson trusted(byte[] utf8) {
        return accessor().trusted(utf8);
    }

    /**
     * The payload's bytes, not copied.
     *
     * @param json the payload
     * @return its bytes, which callers must not change
     */
    public static byte[] bytes(RawJson json) {
        return accessor().bytes(json);
    }

    /**
     * The shared encoded frame of a message.
     *
     * @param message the message
     * @return its frame bytes, which callers must not change
     */
    public static byte[] frameOf(Message<RawJson> message) {
        return accessor().frameOf(message);
    }

    private static Accessor accessor() {
        Accessor a = accessor;
        if (a == null) {
            try {
                // Initializing RawJson installs the accessor.
                Class.forName(RawJson.class.getName(), true, RawJson.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
            a = accessor;
        }
        return a;
    }
}
