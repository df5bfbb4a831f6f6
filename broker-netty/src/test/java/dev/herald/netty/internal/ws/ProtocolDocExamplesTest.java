package dev.herald.netty.internal.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.Broker;
import dev.herald.core.RejectReason;
import dev.herald.core.policy.HistoryPolicy;
import dev.herald.netty.HeraldServer;
import dev.herald.netty.HeraldServerConfig;
import dev.herald.netty.NettyLeakDetectorExtension;
import dev.herald.netty.RawJson;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs every WebSocket example of {@code docs/PROTOCOL.md} (the {@code ```ws} blocks) against a live server, and
 * checks that the document lists every error code and close code the server uses.
 */
@ExtendWith(NettyLeakDetectorExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProtocolDocExamplesTest {
    /** Fields whose documented value names a value that differs per run: equal names must be equal values. */
    private static final Set<String> BOUND_FIELDS = Set.of("epoch", "messageId");

    private static String webSocketSection() throws IOException {
        Path doc = Path.of("..", "docs", "PROTOCOL.md");
        String text = Files.readString(doc, StandardCharsets.UTF_8);
        int start = text.indexOf("\n## WebSocket");
        assertTrue(start >= 0, "docs/PROTOCOL.md has a '## WebSocket' section");
        int end = text.indexOf("\n## ", start + 1);
        return end < 0 ? text.substring(start) : text.substring(start, end);
    }

    private static List<List<String>> examples(String section) {
        List<List<String>> blocks = new ArrayList<>();
        List<String> current = null;
        for (String line : section.split("\n", -1)) {
            if (current == null && line.strip().equals("```ws")) {
                current = new ArrayList<>();
            } else if (current != null && line.strip().equals("```")) {
                blocks.add(current);
                current = null;
            } else if (current != null && !line.isBlank()) {
                current.add(line);
            }
        }
        assertNull(current, "unterminated ```ws block");
        return blocks;
    }

    @TestFactory
    Stream<DynamicTest> everyWebSocketExampleRunsAsDocumented() throws IOException {
        List<List<String>> blocks = examples(webSocketSection());
        assertTrue(blocks.size() >= 4, "the WebSocket section has its examples: " + blocks.size());
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            List<String> block = blocks.get(i);
            tests.add(DynamicTest.dynamicTest("example " + (i + 1) + ": " + block.get(0), () -> run(block)));
        }
        return tests.stream();
    }

    private static void run(List<String> block) throws Exception {
        try (Broker<RawJson> broker = Broker.<RawJson>builder().history(HistoryPolicy.lastN(1000)).build();
             HeraldServer server = HeraldServer.builder()
                     .config(HeraldServerConfig.builder().host("127.0.0.1").port(0).build())
                     .broker(broker).build().start();
             JdkClient client = JdkClient.connect(server.port())) {
            Map<String, String> bindings = new HashMap<>();
            for (String line : block) {
                if (line.startsWith("> ")) {
                    String command = line.substring(2);
                    for (Map.Entry<String, String> bound : bindings.entrySet()) {
                        command = command.replace("\"epoch\":\"" + bound.getKey() + "\"",
                                "\"epoch\":\"" + bound.getValue() + "\"");
                    }
                    client.send(command);
                } else if (line.startsWith("< ")) {
                    Map<String, Object> expected = TestJson.object(line.substring(2));
                    Map<String, Object> actual = client.nextJson();
                    compare(expected, actual, bindings, line);
                } else {
                    throw new AssertionError("a ```ws line starts with '> ' or '< ': " + line);
                }
            }
            assertNull(client.received.poll(100, TimeUnit.MILLISECONDS), "no frame beyond the documented ones");
        }
    }

    private static void compare(Map<String, Object> expected, Map<String, Object> actual,
                                Map<String, String> bindings, String line) {
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.keySet()),
                "fields (in order) of " + line + "\nactual: " + actual);
        boolean message = !expected.containsKey("type");
        for (Map.Entry<String, Object> field : expected.entrySet()) {
            String key = field.getKey();
            Object want = field.getValue();
            Object got = actual.get(key);
            if (BOUND_FIELDS.contains(key) || message && key.equals("id")) {
                String name = (String) want;
                String value = (String) got;
                String previous = bindings.putIfAbsent(name, value);
                assertEquals(previous == null ? value : previous, value,
                        key + " '" + name + "' must stand for one value: " + line);
            } else if (key.equals("timestamp")) {
                Instant.parse((String) got);
            } else if (key.equals("message") && "invalid_json".equals(expected.get("code"))) {
                // The parser's own wording; only its presence is part of the protocol.
                assertTrue(got instanceof String s && !s.isEmpty(), line);
            } else {
                assertEquals(want, got, key + " in " + line + "\nactual: " + actual);
            }
        }
    }

    @Test
    void everyErrorCodeAndCloseCodeIsDocumented() throws Exception {
        String section = webSocketSection();
        List<String> codes = new ArrayList<>();
        for (Field field : CommandError.class.getDeclaredFields()) {
            if (Modifier.isStatic(field.getModifiers()) && field.getType() == String.class) {
                field.setAccessible(true);
                codes.add((String) field.get(null));
            }
        }
        for (RejectReason reason : RejectReason.values()) {
            codes.add(WebSocketSessionHandler.code(reason));
        }
        assertTrue(codes.size() > 10);
        for (String code : codes) {
            assertTrue(section.contains("| `" + code + "`"), "error code " + code + " is in the errors table");
        }
        for (int close : new int[] {1000, 1001, 1008, 1009, 1011, 1013}) {
            assertTrue(section.contains("| " + close + " |"), "close code " + close + " is in the close codes table");
        }
    }
}
