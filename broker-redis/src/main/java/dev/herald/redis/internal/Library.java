package dev.herald.redis.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Herald's Redis function library ({@code herald.lua} next to this class): its source, the names of its functions,
 * and how their replies read. The library's name carries its version, so nodes of two versions can share a Redis
 * during a rolling upgrade.
 */
final class Library {
    static final String PUBLISH = "herald_1_publish";
    static final String ENSURE = "herald_1_ensure";
    static final String READ = "herald_1_read";
    static final String STATS = "herald_1_stats";
    static final String RESTART = "herald_1_restart";
    static final String TOUCH = "herald_1_touch";

    static final String SOURCE = load();

    private Library() {
    }

    private static String load() {
        try (InputStream in = Library.class.getResourceAsStream("herald.lua")) {
            if (in == null) {
                throw new IllegalStateException("herald.lua is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether Redis refused a call because the library is not loaded there (a restart without persistence). */
    static boolean isMissingFunction(Throwable failure) {
        String message = failure.getMessage();
        return message != null && message.contains("Function not found");
    }

    /** Whether Lettuce refused a command before writing it, because its connection is not (yet) up. */
    static boolean isNeverSent(Throwable failure) {
        Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        String message = cause.getMessage();
        return message != null && message.startsWith("Currently not connected");
    }

    static String string(List<Object> reply, int index) {
        Object value = reply.get(index);
        if (value instanceof byte[] bytes) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
        return String.valueOf(value);
    }

    static long number(List<Object> reply, int index) {
        Object value = reply.get(index);
        if (value instanceof Long n) {
            return n;
        }
        if (value instanceof byte[] bytes) {
            return Long.parseLong(new String(bytes, StandardCharsets.US_ASCII));
        }
        throw new IllegalStateException("expected a number at " + index + " of the reply, got " + value);
    }

    static byte[] bytes(List<Object> reply, int index) {
        Object value = reply.get(index);
        if (value instanceof byte[] bytes) {
            return bytes;
        }
        throw new IllegalStateException("expected a string at " + index + " of the reply, got " + value);
    }

    /** The arguments of the touch function: the ttl, then the key names. */
    static byte[][] touchArgs(byte[][] keys, long ttlMillis) {
        byte[][] args = new byte[keys.length + 1][];
        args[0] = arg(ttlMillis);
        System.arraycopy(keys, 0, args, 1, keys.length);
        return args;
    }

    static byte[] arg(long n) {
        return Long.toString(n).getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] arg(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
