package dev.herald.netty.internal;

import dev.herald.core.Message;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.format.DateTimeFormatter;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.json.JsonFactory;

/**
 * JSON reading and writing for the server, on jackson-core's streaming API. Reads are bounded (nesting depth,
 * string and number length, document size), so no input can make the parser use unbounded memory or stack.
 * Thread-safe: the factory is immutable and every parser or generator is used by one thread.
 */
public final class JsonSupport {
    /** Deepest nesting accepted in any JSON input. */
    public static final int MAX_NESTING_DEPTH = 64;
    /** Longest string value or field name accepted, in characters. */
    public static final int MAX_STRING_LENGTH = 1 << 20;

    /** The literal parts of a message frame, between its values; see {@link #encodeMessage}. */
    private static final String ID_PREFIX = "{\"id\":\"";
    private static final String TOPIC_PREFIX = "\",\"topic\":\"";
    private static final String OFFSET_PREFIX = "\",\"offset\":";
    private static final String TIMESTAMP_PREFIX = ",\"timestamp\":\"";
    private static final String DATA_PREFIX = "\",\"data\":";

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_NESTING_DEPTH)
                    .maxStringLength(MAX_STRING_LENGTH)
                    .maxNameLength(1024)
                    .maxNumberLength(256)
                    .maxDocumentLength(64L << 20)
                    .build())
            .build();

    private JsonSupport() {
    }

    /** The shared, bounded factory. */
    public static JsonFactory factory() {
        return FACTORY;
    }

    /** A parser over a byte range, with the read limits applied. */
    public static JsonParser parser(byte[] bytes, int offset, int length) {
        return FACTORY.createParser(ObjectReadContext.empty(), bytes, offset, length);
    }

    /**
     * Checks that a byte range holds exactly one JSON value and nothing after it but white space.
     *
     * @return {@code null} if valid, otherwise a short description of the problem
     */
    public static String validateValue(byte[] bytes, int offset, int length) {
        try (JsonParser parser = parser(bytes, offset, length)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                return "empty input";
            }
            parser.skipChildren();
            if (parser.nextToken() != null) {
                return "unexpected content after the JSON value";
            }
            return null;
        } catch (JacksonException e) {
            return e.getOriginalMessage();
        }
    }

    /**
     * Encodes a delivered message:
     * {@code {"id":…,"topic":…,"offset":…,"timestamp":"RFC 3339","data":<raw payload>}}.
     * The payload bytes are copied in as they are, never re-serialized.
     */
    public static byte[] encodeMessage(Message<?> message, byte[] rawData) {
        String id = message.id();
        String topic = message.topic();
        if (!needsNoEscaping(id) || !needsNoEscaping(topic)) {
            return encodeWithGenerator(message, rawData);
        }
        // Topic names and the in-memory engine's ids are plain ASCII with nothing to escape, and so are the offset
        // and an ISO-8601 instant: the frame is those strings and the payload bytes side by side, which is what
        // the generator would write, without its per-message generator, stream and payload String.
        String offset = Long.toString(message.offset());
        String timestamp = DateTimeFormatter.ISO_INSTANT.format(message.timestamp());
        byte[] frame = new byte[ID_PREFIX.length() + id.length() + TOPIC_PREFIX.length() + topic.length()
                + OFFSET_PREFIX.length() + offset.length() + TIMESTAMP_PREFIX.length() + timestamp.length()
                + DATA_PREFIX.length() + rawData.length + 1];
        int at = putAscii(frame, 0, ID_PREFIX);
        at = putAscii(frame, at, id);
        at = putAscii(frame, at, TOPIC_PREFIX);
        at = putAscii(frame, at, topic);
        at = putAscii(frame, at, OFFSET_PREFIX);
        at = putAscii(frame, at, offset);
        at = putAscii(frame, at, TIMESTAMP_PREFIX);
        at = putAscii(frame, at, timestamp);
        at = putAscii(frame, at, DATA_PREFIX);
        System.arraycopy(rawData, 0, frame, at, rawData.length);
        frame[frame.length - 1] = '}';
        return frame;
    }

    /** The general path, for ids (from another engine, say) that need JSON escaping; public for benchmarks. */
    public static byte[] encodeWithGenerator(Message<?> message, byte[] rawData) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(rawData.length + 128);
        try (JsonGenerator generator = FACTORY.createGenerator(ObjectWriteContext.empty(), out)) {
            generator.writeStartObject();
            generator.writeStringProperty("id", message.id());
            generator.writeStringProperty("topic", message.topic());
            generator.writeNumberProperty("offset", message.offset());
            generator.writeStringProperty("timestamp", DateTimeFormatter.ISO_INSTANT.format(message.timestamp()));
            generator.writeName("data");
            generator.writeRawValue(new String(rawData, StandardCharsets.UTF_8));
            generator.writeEndObject();
        }
        return out.toByteArray();
    }

    /** Whether a string is printable ASCII without '"' or '\\', so that JSON writes it as it is. */
    static boolean needsNoEscaping(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
                return false;
            }
        }
        return true;
    }

    private static int putAscii(byte[] target, int at, String ascii) {
        for (int i = 0; i < ascii.length(); i++) {
            target[at + i] = (byte) ascii.charAt(i);
        }
        return at + ascii.length();
    }

}
