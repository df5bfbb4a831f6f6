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
}
