package dev.herald.netty.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The publish body parser cuts {@code data} out of the body byte for byte, whatever the JSON value is. */
class PublishBodyProperties {

    @Property(tries = 300)
    void dataIsCutOutExactly(@ForAll("values") String data, @ForAll("space") String s1, @ForAll("space") String s2,
                             @ForAll boolean dataFirst) {
        String body = dataFirst
                ? "{" + s1 + "\"data\"" + s2 + ":" + s1 + data + s2 + "," + "\"topic\":\"t.x\"" + s1 + "}" + s2
                : s2 + "{\"topic\"" + s1 + ":" + s2 + "\"t.x\"," + s1 + "\"data\":" + s2 + data + s1 + "}";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        PublishRoute.Parsed parsed = PublishRoute.parse(bytes);
        assertNull(parsed.errorCode(), () -> parsed.errorMessage() + " in " + body);
        assertEquals("t.x", parsed.topic());
        assertEquals(data, new String(Arrays.copyOfRange(bytes, parsed.dataStart(), parsed.dataEnd()),
                StandardCharsets.UTF_8));
        assertNull(JsonSupport.validateValue(bytes, parsed.dataStart(), parsed.dataEnd() - parsed.dataStart()));
    }

    @Property(tries = 200)
    void truncatedBodiesAreRejectedAsInvalidJson(@ForAll("values") String data) {
        String body = "{\"topic\":\"t\",\"data\":" + data + "}";
        for (int cut = 1; cut < body.length(); cut += Math.max(1, body.length() / 7)) {
            PublishRoute.Parsed parsed = PublishRoute.parse(body.substring(0, cut).getBytes(StandardCharsets.UTF_8));
            assertNotNull(parsed.errorCode(), "accepted a truncated body: " + body.substring(0, cut));
        }
    }

    @Provide
    Arbitrary<String> space() {
        return Arbitraries.of("", " ", "\n", "\t ", "\r\n  ");
    }

    @Provide
    Arbitrary<String> values() {
        return value(3);
    }

    private Arbitrary<String> value(int depth) {
        Arbitrary<String> scalar = Arbitraries.oneOf(
                Arbitraries.of("true", "false", "null", "0", "-0", "12", "-3.25", "1e10", "6.02E+23", "-1.5e-7",
                        "123456789012345678901234567890"),
                Arbitraries.strings().ofMaxLength(12).map(PublishBodyProperties::quote),
                Arbitraries.of("\"\"", "\"\\u00e9\\n\\\"\\\\\"", "\"caf\u00e9 \u2603 \uD83D\uDE00\"", "\"a/b\""));
        if (depth == 0) {
            return scalar;
        }
        Arbitrary<String> child = value(depth - 1);
        Arbitrary<String> array = child.list().ofMaxSize(4).map(items -> "[" + String.join(", ", items) + "]");
        Arbitrary<String> object = Combinators.combine(
                        Arbitraries.strings().alpha().ofMaxLength(5).map(PublishBodyProperties::quote).list()
                                .ofMaxSize(4).uniqueElements(),
                        child.list().ofSize(4))
                .as((keys, values) -> {
                    StringBuilder sb = new StringBuilder("{");
                    for (int i = 0; i < keys.size(); i++) {
                        sb.append(i == 0 ? "" : " ,").append(keys.get(i)).append(": ").append(values.get(i));
                    }
                    return sb.append('}').toString();
                });
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, scalar), net.jqwik.api.Tuple.of(1, array), net.jqwik.api.Tuple.of(1, object));
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else if (Character.isSurrogate(c)) {
                sb.append('?'); // lone surrogates are not valid UTF-8
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }

}
