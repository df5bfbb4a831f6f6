package dev.herald.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs the HTTP examples of {@code docs/PROTOCOL.md} against a live server: each {@code ```sh} block of the HTTP
 * section is one curl command, and the {@code ```http} block after it the expected response. The status, the
 * headers shown and the body must match; the values of {@code id} and {@code timestamp} fields vary from run to
 * run, so each distinct value in the document is bound to the first value seen on the wire and must stand for that
 * same value everywhere after. Bodies must match text for text once those values are substituted, so the raw
 * {@code data} bytes are checked too; a block marked {@code abridged} only needs the fields it shows.
 */
@ExtendWith(NettyLeakDetectorExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HttpProtocolDocExamplesTest {
    private static final Set<String> VARIABLE_FIELDS = Set.of("id", "timestamp", "epoch");
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private record Block(String info, String text, int line) {
    }

    private record Example(Block command, Block response) {
    }

    @Test
    void everyHttpExampleRunsAsDocumented() throws Exception {
        List<Example> examples = examples(httpSection());
        assertTrue(examples.size() >= 15, "expected the documented HTTP examples, found " + examples.size());
        Map<String, String> bound = new HashMap<>();
        try (HeraldServer server = HeraldServer.builder()
                .config(HeraldServerConfig.builder().host("127.0.0.1").port(0).build()).build().start()) {
            for (Example example : examples) {
                HttpResponse<String> actual = CLIENT.send(toRequest(example.command().text(), server.port()),
                        HttpResponse.BodyHandlers.ofString());
                check(example, actual, bound);
            }
        }
    }

    private static String httpSection() throws IOException {
        Path doc = Path.of("../docs/PROTOCOL.md");
        if (!Files.exists(doc)) {
            doc = Path.of("docs/PROTOCOL.md");
        }
        String text = Files.readString(doc, StandardCharsets.UTF_8);
        int start = text.indexOf("\n## HTTP\n");
        assertTrue(start >= 0, "PROTOCOL.md has no '## HTTP' section");
        int end = text.indexOf("\n## ", start + 1);
        return text.substring(0, end < 0 ? text.length() : end).substring(0, start).replaceAll("[^\n]", "")
                + text.substring(start, end < 0 ? text.length() : end); // keep line numbers
    }

    private static List<Example> examples(String section) {
        List<Block> blocks = new ArrayList<>();
        String[] lines = section.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].startsWith("```") && lines[i].length() > 3) {
                String info = lines[i].substring(3).strip();
                StringBuilder body = new StringBuilder();
                int startLine = i + 1;
                for (i++; i < lines.length && !lines[i].equals("```"); i++) {
                    body.append(lines[i]).append('\n');
                }
                blocks.add(new Block(info, body.toString(), startLine));
            }
        }
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            Block block = blocks.get(i);
            if (block.info().equals("sh")) {
                assertTrue(i + 1 < blocks.size() && blocks.get(i + 1).info().startsWith("http"),
                        "line " + block.line() + ": a curl example must be followed by an ```http response block");
                examples.add(new Example(block, blocks.get(++i)));
            } else {
                throw new AssertionError("line " + block.line() + ": unexpected ```" + block.info()
                        + " block in the HTTP section; examples are ```sh then ```http");
            }
        }
        return examples;
    }

    /** Turns one curl command into a request, as curl would send it. */
    static HttpRequest toRequest(String command, int port) {
        List<String> words = shellWords(command.replace("\\\n", " "));
        assertEquals("curl", words.get(0), command);
        String method = null;
        String data = null;
        String url = null;
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < words.size(); i++) {
            String w = words.get(i);
            switch (w) {
                case "-X", "--request" -> method = words.get(++i);
                case "-H", "--header" -> {
                    String header = words.get(++i);
                    int colon = header.indexOf(':');
                    headers.put(header.substring(0, colon).strip(), header.substring(colon + 1).strip());
                }
                case "-d", "--data", "--data-raw" -> data = words.get(++i);
                case "-s", "-i", "--silent", "--include" -> {
                    // output options only
                }
                default -> {
                    if (w.startsWith("-")) {
                        throw new AssertionError("curl option the doc test does not know: " + w);
                    }
                    url = w;
                }
            }
        }
        assertTrue(url != null && url.startsWith("http://localhost:8080/"), "curl URL: " + url);
        if (method == null) {
            method = data != null ? "POST" : "GET";
        }
        if (data != null && headers.keySet().stream().noneMatch(h -> h.equalsIgnoreCase("Content-Type"))) {
            headers.put("Content-Type", "application/x-www-form-urlencoded"); // what curl -d sends
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(
                        URI.create(url.replace("http://localhost:8080/", "http://127.0.0.1:" + port + "/")))
                .timeout(Duration.ofSeconds(10))
                .method(method, data == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(data));
        headers.forEach(b::header);
        return b.build();
    }

    /** Splits a command line as a POSIX shell would, for the quoting the examples use. */
    static List<String> shellWords(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\'') {
                int close = line.indexOf('\'', i + 1);
                assertTrue(close > i, "unterminated ' in " + line);
                word = (word == null ? new StringBuilder() : word).append(line, i + 1, close);
                i = close;
            } else if (c == '"') {
                word = word == null ? new StringBuilder() : word;
                for (i++; line.charAt(i) != '"'; i++) {
                    if (line.charAt(i) == '\\' && "\"\\$`".indexOf(line.charAt(i + 1)) >= 0) {
                        i++;
                    }
                    word.append(line.charAt(i));
                }
            } else if (Character.isWhitespace(c)) {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
            } else {
                word = (word == null ? new StringBuilder() : word).append(c);
            }
        }
        if (word != null) {
            words.add(word.toString());
        }
        return words;
    }

    private static void check(Example example, HttpResponse<String> actual, Map<String, String> bound) {
        String where = "PROTOCOL.md line " + example.command().line() + ": " + example.command().text().strip();
        String[] parts = example.response().text().split("\n\n", 2);
        String[] head = parts[0].split("\n");
        String expectedBody = parts.length > 1 ? parts[1].strip() : "";
        int status = Integer.parseInt(head[0].split(" ")[1]);
        assertEquals(status, actual.statusCode(), where + "\n" + actual.body());
        boolean abridged = example.response().info().contains("abridged");
        Object expectedJson = TestJson.parse(expectedBody);
        compare(expectedJson, TestJson.parse(actual.body()), abridged, bound, where + "\n" + actual.body());
        for (int i = 1; i < head.length; i++) {
            int colon = head[i].indexOf(':');
            String name = head[i].substring(0, colon).strip().toLowerCase(Locale.ROOT);
            String documented = head[i].substring(colon + 1).strip();
            // A header may repeat a variable value of a body (an epoch): it must be the same value on the wire.
            assertEquals(bound.getOrDefault(documented, documented), actual.headers().firstValue(name).orElse(null),
                    where + ": header " + name);
        }
        if (!abridged) {
            String substituted = expectedBody;
            for (Map.Entry<String, String> e : bound.entrySet()) {
                substituted = substituted.replace('"' + e.getKey() + '"', '"' + e.getValue() + '"');
            }
            assertEquals(substituted, actual.body(), where);
        }
    }

    private static void compare(Object expected, Object actual, boolean abridged, Map<String, String> bound,
                                String where) {
        if (expected instanceof Map<?, ?> e) {
            assertTrue(actual instanceof Map, where);
            Map<?, ?> a = (Map<?, ?>) actual;
            if (!abridged) {
                assertEquals(e.keySet(), a.keySet(), where);
            }
            for (Map.Entry<?, ?> field : e.entrySet()) {
                assertTrue(a.containsKey(field.getKey()), where + ": missing field " + field.getKey());
                Object av = a.get(field.getKey());
                if (VARIABLE_FIELDS.contains((String) field.getKey()) && field.getValue() instanceof String doc) {
                    assertTrue(av instanceof String, where);
                    String previous = bound.putIfAbsent(doc, (String) av);
                    assertEquals(previous == null ? av : previous, av,
                            where + ": '" + doc + "' stands for one value throughout the examples");
                    assertEquals(1, bound.values().stream().filter(av::equals).count(),
                            where + ": two different example values map to " + av);
                } else {
                    compare(field.getValue(), av, abridged, bound, where);
                }
            }
        } else if (expected instanceof List<?> e) {
            assertTrue(actual instanceof List, where);
            List<?> a = (List<?>) actual;
            assertEquals(e.size(), a.size(), where);
            for (int i = 0; i < e.size(); i++) {
                compare(e.get(i), a.get(i), abridged, bound, where);
            }
        } else {
            assertEquals(expected, actual, where);
        }
    }
}
