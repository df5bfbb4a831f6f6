package dev.herald.netty.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.herald.core.Message;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;

/** The direct frame encoding writes exactly what the JSON generator writes, and falls back where escaping is due. */
class MessageEncodingProperties {

    @Property(tries = 500)
    void encodedFrameEqualsTheGeneratorsOutput(@ForAll("ids") String id, @ForAll("topics") String topic,
                                               @ForAll @LongRange(min = 1) long offset,
                                               @ForAll @LongRange(min = 0, max = 4_000_000_000L) long epochSecond,
                                               @ForAll("nanos") int nanos, @ForAll("payloads") String data) {
        byte[] raw = data.getBytes(StandardCharsets.UTF_8);
        Message<String> message = new Message<>(id, topic, offset, Instant.ofEpochSecond(epochSecond, nanos), data);

        byte[] frame = JsonSupport.encodeMessage(message, raw);

        assertArrayEquals(JsonSupport.encodeWithGenerator(message, raw), frame,
                () -> new String(frame, StandardCharsets.UTF_8));
        assertNull(JsonSupport.validateValue(frame, 0, frame.length));
        assertEquals(id, firstStringField(frame));
    }

    private static String firstStringField(byte[] frame) {
        try (JsonParser parser = JsonSupport.parser(frame, 0, frame.length)) {
            assertEquals(JsonToken.START_OBJECT, parser.nextToken());
            assertEquals("id", parser.nextName());
            parser.nextToken();
            return parser.getString();
        }
    }

    @Provide
    Arbitrary<String> ids() {
        return Arbitraries.oneOf(
                Arbitraries.strings().withChars("abcxyz0123456789.-").ofMinLength(1).ofMaxLength(30),
                Arbitraries.strings().all().ofMinLength(1).ofMaxLength(12),
                Arbitraries.of("a\"b", "back\\slash", "tab\there", "é-1", "\u0001"));
    }

    @Provide
    Arbitrary<String> topics() {
        return Arbitraries.strings().withChars("abcXYZ019_-:@~").ofMinLength(1).ofMaxLength(8)
                .list().ofMinSize(1).ofMaxSize(4).map(segments -> String.join(".", segments));
    }

    @Provide
    Arbitrary<Integer> nanos() {
        return Arbitraries.oneOf(Arbitraries.just(0), Arbitraries.integers().between(0, 999_999_999),
                Arbitraries.integers().between(0, 999).map(ms -> ms * 1_000_000));
    }

    @Provide
    Arbitrary<String> payloads() {
        return Arbitraries.of("null", "true", "0", "-1.5e3", "\"\"", "\"héllo \\\"x\\\" ☃\"", "[]", "[1,{\"a\":[]}]",
                "{}", "{\"message\":\"Hello\",\"n\":[1,2,3],\"nested\":{\"k\":null}}");
    }
}
