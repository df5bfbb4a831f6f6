package dev.herald.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.Broker;
import dev.herald.core.PublishResult;
import dev.herald.core.RejectReason;
import dev.herald.core.policy.HistoryPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Every HTTP route and error over a real loopback connection, with the JDK's HTTP client. */
@ExtendWith(NettyLeakDetectorExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HttpApiIntegrationTest {
    static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private static ControllableBroker broker;
    private static HeraldServer server;

    @BeforeAll
    static void start() {
        broker = new ControllableBroker(Broker.<RawJson>builder().history(HistoryPolicy.lastN(100))
                .payloadWeigher(RawJson::size).build());
        server = HeraldServer.builder().broker(broker)
                .config(HeraldServerConfig.builder().host("127.0.0.1").port(0).maxHttpBodyBytes(1024).historyLimit(50)
                        .shutdownTimeout(Duration.ofSeconds(2)).build())
                .build().start();
    }

    @AfterAll
    static void stop() {
        server.close();
        broker.close();
    }

    static URI uri(HeraldServer s, String path) {
        return URI.create("http://127.0.0.1:" + s.port() + path);
    }

    static HttpResponse<String> get(HeraldServer s, String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(s, path)).timeout(Duration.ofSeconds(10));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return send(b.GET().build());
    }

    static HttpResponse<String> post(HeraldServer s, String path, String contentType, String body,
                                     String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(s, path)).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        if (headers.length > 0) {
            b.headers(headers);
        }
        return send(b.build());
    }

    static HttpResponse<String> send(HttpRequest request) {
        try {
            return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static void assertError(HttpResponse<String> response, int status, String code) {
        assertEquals(status, response.statusCode(), response.body());
        assertEquals("application/json; charset=utf-8", response.headers().firstValue("content-type").orElse(""));
        Map<String, Object> json = TestJson.object(response.body());
        assertEquals(code, json.get("code"), response.body());
        assertTrue(json.get("message") instanceof String m && !m.isBlank(), response.body());
    }

    @Test
    void theOriginalSeedRequestsWorkVerbatim() {
        HttpResponse<String> published = post(server, "/publish", "application/json",
                "{\"topic\":\"notifications\",\"data\":{\"message\":\"Hello\"}}");
        assertEquals(200, published.statusCode(), published.body());
        Map<String, Object> created = TestJson.object(published.body());
        assertEquals("notifications", created.get("topic"));
        HttpResponse<String> history = get(server, "/topics/notifications/history");
        assertEquals(200, history.statusCode());
        List<Object> messages = TestJson.array(history.body());
        Map<?, ?> last = (Map<?, ?>) messages.get(messages.size() - 1);
        assertEquals(created.get("id"), last.get("id"));
        assertEquals(created.get("offset"), last.get("offset"));
        assertEquals(created.get("timestamp"), last.get("timestamp"));
        assertEquals(Map.of("message", "Hello"), last.get("data"));
    }

    @Test
    void historyPagesOldestFirst() {
        for (int i = 1; i <= 5; i++) {
            assertEquals(200, post(server, "/publish", "application/json; charset=utf-8",
                    "{\"topic\":\"paging.t\",\"data\":{\"n\":" + i + "}}").statusCode());
        }
        List<Object> page = TestJson.array(get(server, "/topics/paging.t/history?since=2&limit=2").body());
        assertEquals(2, page.size());
        assertEquals(3L, ((Map<?, ?>) page.get(0)).get("offset"));
        assertEquals(Map.of("n", 4L), ((Map<?, ?>) page.get(1)).get("data"));
        assertEquals(5, TestJson.array(get(server, "/topics/paging.t/history?limit=9999").body()).size());
        assertError(get(server, "/topics/paging.t/history?limit=ten"), 400, "invalid_parameter");
        assertError(get(server, "/topics/paging.*/history"), 400, "invalid_topic");
    }

    @Test
    void healthAndMetrics() {
        HttpResponse<String> health = get(server, "/health");
        assertEquals(200, health.statusCode());
        assertEquals("{\"status\":\"ok\"}", health.body());
        HttpResponse<String> metrics = get(server, "/metrics");
        assertEquals(200, metrics.statusCode());
        Map<String, Object> json = TestJson.object(metrics.body());
        assertTrue(((Map<?, ?>) json.get("broker")).containsKey("published"), metrics.body());
        assertTrue((Long) ((Map<?, ?>) json.get("server")).get("connectionsOpen") >= 1, metrics.body());
    }

    @Test
    void badRequests() {
        assertError(post(server, "/publish", "application/json", "{\"topic\":"), 400, "invalid_json");
        assertError(post(server, "/publish", "application/json", "{\"topic\":\"t\"}"), 400, "missing_field");
        assertError(post(server, "/publish", "application/json", "{\"data\":1}"), 400, "missing_field");
        assertError(post(server, "/publish", "application/json", "{\"topic\":\"a b\",\"data\":1}"), 400,
                "invalid_topic");
        assertError(post(server, "/publish", "text/plain", "{\"topic\":\"t\",\"data\":1}"), 415,
                "unsupported_media_type");
        assertError(post(server, "/publish", null, "{\"topic\":\"t\",\"data\":1}"), 415, "unsupported_media_type");
        assertError(get(server, "/nothing/here"), 404, "not_found");
        HttpResponse<String> wrongMethod = get(server, "/publish");
        assertError(wrongMethod, 405, "method_not_allowed");
        assertEquals("POST", wrongMethod.headers().firstValue("allow").orElse(""));
        HttpResponse<String> wrongMethod2 = post(server, "/topics/t/history", "application/json", "{}");
        assertError(wrongMethod2, 405, "method_not_allowed");
        assertEquals("GET", wrongMethod2.headers().firstValue("allow").orElse(""));
    }

    @Test
    void bodiesOverTheLimitGet413() {
        String big = "{\"topic\":\"t\",\"data\":\"" + "x".repeat(2000) + "\"}";
        assertError(post(server, "/publish", "application/json", big), 413, "payload_too_large");
        assertEquals(200, get(server, "/health").statusCode());
    }

    @Test
    void backPressureGets429() {
        broker.onPublish((topic, data) -> CompletableFuture.completedFuture(
                new PublishResult.Rejected(RejectReason.BACKPRESSURE_TIMEOUT, "a subscriber stayed full")));
        try {
            assertError(post(server, "/publish", "application/json", "{\"topic\":\"t\",\"data\":1}"), 429,
                    "backpressure");
        } finally {
            broker.onPublish(null);
        }
    }

    @Test
    void foreignOriginsGet403AndTheServersOwnOriginIsAllowed() {
        assertError(get(server, "/health", "Origin", "https://evil.example"), 403, "origin_not_allowed");
        assertError(post(server, "/publish", "application/json", "{\"topic\":\"t\",\"data\":1}",
                "Origin", "http://localhost:3000"), 403, "origin_not_allowed");
        assertEquals(200, get(server, "/health", "Origin", "http://127.0.0.1:" + server.port()).statusCode());
    }

    @Test
    void configuredOriginsAreAllowed() {
        try (HeraldServer s = HeraldServer.builder().config(HeraldServerConfig.builder().host("127.0.0.1").port(0)
                .allowedOrigins(List.of("https://*.example.com", "http://localhost:3000")).build()).build().start()) {
            assertEquals(200, get(s, "/health", "Origin", "https://app.example.com").statusCode());
            assertEquals(200, get(s, "/health", "Origin", "http://localhost:3000").statusCode());
            assertError(get(s, "/health", "Origin", "https://example.com"), 403, "origin_not_allowed");
        }
    }

    @Test
    void aClosedBrokerGets503() {
        Broker<RawJson> closed = Broker.<RawJson>builder().build();
        try (HeraldServer s = HeraldServer.builder().broker(closed)
                     .config(HeraldServerConfig.builder().host("127.0.0.1").port(0).build()).build().start()) {
            closed.close();
            assertError(post(s, "/publish", "application/json", "{\"topic\":\"t\",\"data\":1}"), 503, "unavailable");
            assertError(get(s, "/topics/t/history"), 503, "unavailable");
        }
    }

    @Test
    void keepAliveConnectionsKeepWorkingAfterErrors() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            String bad = "{\"topic\":";
            out.write(("POST /publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                    + bad.length() + "\r\n\r\n" + bad).getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertTrue(RawHttp.readResponse(in).startsWith("HTTP/1.1 400 "));
            out.write("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertTrue(RawHttp.readResponse(in).startsWith("HTTP/1.1 404 "));
            out.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String ok = RawHttp.readResponse(in);
            assertTrue(ok.startsWith("HTTP/1.1 200 ") && ok.endsWith("{\"status\":\"ok\"}"), ok);
        }
    }

    @Test
    void connectionsPastTheLimitGet503BeforeTheUpgrade() throws IOException {
        try (HeraldServer s = HeraldServer.builder().config(HeraldServerConfig.builder().host("127.0.0.1").port(0)
                .maxConnections(1).build()).build().start()) {
            try (Socket holder = new Socket("127.0.0.1", s.port())) {
                holder.setSoTimeout(10_000);
                holder.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                assertTrue(RawHttp.readResponse(holder.getInputStream()).startsWith("HTTP/1.1 200 "));
                // The holder's connection is counted; every other one is refused, upgrades included.
                assertError(get(s, "/health"), 503, "unavailable");
                assertError(get(s, "/ws", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==",
                        "Sec-WebSocket-Version", "13"), 503, "unavailable");
            }
            awaitTrue(() -> get(s, "/health").statusCode() == 200, "a slot frees up when the holder leaves");
        }
    }

    @Test
    void concurrentPublishersGetEveryOffsetOnceAndHistoryAgrees() throws Exception {
        int publishers = 4;
        int each = 25; // 100 in all: the broker retains the last 100 per topic
        List<CompletableFuture<HttpResponse<String>>> responses = new java.util.ArrayList<>();
        for (int p = 0; p < publishers; p++) {
            for (int i = 0; i < each; i++) {
                responses.add(CLIENT.sendAsync(HttpRequest.newBuilder(uri(server, "/publish"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"topic\":\"race\",\"data\":{\"p\":" + p + ",\"i\":" + i + "}}"))
                        .build(), HttpResponse.BodyHandlers.ofString()));
            }
        }
        java.util.Set<Long> offsets = new java.util.TreeSet<>();
        Map<Long, Object> dataByOffset = new java.util.HashMap<>();
        for (CompletableFuture<HttpResponse<String>> f : responses) {
            HttpResponse<String> r = f.get(20, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(offsets.add((Long) TestJson.object(r.body()).get("offset")), r.body());
        }
        assertEquals(publishers * each, offsets.size());
        assertEquals(1L, offsets.iterator().next());
        assertEquals((long) publishers * each, ((java.util.TreeSet<Long>) offsets).last(), "no gap, no duplicate");
        List<Object> history = new java.util.ArrayList<>();
        List<Object> page;
        do { // pages of historyLimit (50), each starting after the last offset of the previous one
            long since = history.isEmpty() ? 0 : (Long) ((Map<?, ?>) history.get(history.size() - 1)).get("offset");
            page = TestJson.array(get(server, "/topics/race/history?since=" + since).body());
            history.addAll(page);
        } while (page.size() == 50);
        assertEquals(publishers * each, history.size());
        for (int k = 0; k < history.size(); k++) {
            Map<?, ?> m = (Map<?, ?>) history.get(k);
            assertEquals(k + 1L, m.get("offset"), "oldest first, in offset order");
            dataByOffset.put((Long) m.get("offset"), m.get("data"));
        }
        assertEquals(publishers * each, new java.util.HashSet<>(dataByOffset.values()).size(), "each message once");
    }

    static void awaitTrue(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.onSpinWait();
        }
    }

    /** Reads HTTP/1.1 responses with a Content-Length from a raw socket. */
    static final class RawHttp {
        private RawHttp() {
        }

        static String readResponse(InputStream in) throws IOException {
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("connection closed after: " + head);
                }
                head.append((char) b);
            }
            int length = 0;
            for (String line : head.toString().split("\r\n")) {
                if (line.toLowerCase().startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            byte[] body = in.readNBytes(length);
            assertFalse(body.length < length, "short body");
            return head + new String(body, StandardCharsets.UTF_8);
        }
    }
}
