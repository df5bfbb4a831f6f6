package dev.herald.netty.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.Broker;
import dev.herald.core.PublishResult;
import dev.herald.core.RejectReason;
import dev.herald.core.policy.HistoryPolicy;
import dev.herald.core.spi.EngineStatus;
import dev.herald.netty.ControllableBroker;
import dev.herald.netty.HeraldServerConfig;
import dev.herald.netty.NettyLeakDetectorExtension;
import dev.herald.netty.RawJson;
import dev.herald.netty.TestJson;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateEvent;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NettyLeakDetectorExtension.class)
class HttpRequestRouterTest {
    private final ControllableBroker broker = new ControllableBroker(Broker.<RawJson>builder()
            .history(HistoryPolicy.lastN(100)).executor(Runnable::run).build());
    private ServerContext server = context(HeraldServerConfig.builder().historyLimit(3).build());

    @AfterEach
    void closeBroker() {
        broker.close();
    }

    private ServerContext context(HeraldServerConfig config) {
        return new ServerContext(broker, config, new ServerMetrics());
    }

    private EmbeddedChannel channel() {
        // A real id for each channel: all EmbeddedChannels share one by default, and the server's group is keyed by it.
        EmbeddedChannel ch = new EmbeddedChannel(DefaultChannelId.newInstance(), new HttpRequestRouter(server));
        server.register(ch);
        return ch;
    }

    private static FullHttpRequest request(HttpMethod method, String uri) {
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri, Unpooled.buffer(0));
        r.headers().set(HttpHeaderNames.HOST, "localhost:8080");
        return r;
    }

    private static FullHttpRequest publish(String body) {
        return publish(body, "application/json");
    }

    private static FullHttpRequest publish(String body, String contentType) {
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/publish",
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        r.headers().set(HttpHeaderNames.HOST, "localhost:8080");
        if (contentType != null) {
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        }
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
        return r;
    }

    /** A response as status, headers and body text; the buffer is released. */
    private record Reply(int status, io.netty.handler.codec.http.HttpHeaders headers, String body) {
        Map<String, Object> json() {
            return TestJson.object(body);
        }
    }

    private static Reply exchange(EmbeddedChannel ch, FullHttpRequest request) {
        assertFalse(ch.writeInbound(request), "the router must not pass HTTP requests on");
        return read(ch);
    }

    private static Reply read(EmbeddedChannel ch) {
        FullHttpResponse response = ch.readOutbound();
        assertNotNull(response, "no response written");
        try {
            assertEquals(response.content().readableBytes(), response.headers().getInt(HttpHeaderNames.CONTENT_LENGTH));
            return new Reply(response.status().code(), response.headers(),
                    response.content().toString(StandardCharsets.UTF_8));
        } finally {
            response.release();
        }
    }

    private static void assertError(Reply reply, int status, String code) {
        assertEquals(status, reply.status(), reply.body());
        assertTrue(reply.headers().get(HttpHeaderNames.CONTENT_TYPE).startsWith("application/json"));
        Map<String, Object> json = reply.json();
        assertEquals(code, json.get("code"), reply.body());
        assertTrue(json.get("message") instanceof String s && !s.isBlank(), reply.body());
        assertEquals(2, json.size(), reply.body());
    }

    @Test
    void healthIsOk() {
        EmbeddedChannel ch = channel();
        Reply reply = exchange(ch, request(HttpMethod.GET, "/health"));
        assertEquals(200, reply.status());
        assertEquals(Map.of("status", "ok"), reply.json());
        assertTrue(ch.isOpen());
        assertFalse(ch.finish());
    }

    @Test
    void healthFollowsTheEnginesAvailabilityAndMetricsShowItsCountersAndTheNode() {
        boolean[] available = {true};
        server = new ServerContext(broker, HeraldServerConfig.builder().nodeId("node-7").build(), new ServerMetrics(),
                () -> new EngineStatus(available[0], available[0] ? "connected" : "Redis refused the connection",
                        Map.of("reconnects", 3L)));
        EmbeddedChannel ch = channel();
        Reply up = exchange(ch, request(HttpMethod.GET, "/health"));
        assertEquals(200, up.status());
        assertEquals(Map.of("status", "ok", "engine", "available"), up.json());
        available[0] = false;
        Reply down = exchange(ch, request(HttpMethod.GET, "/health"));
        assertError(down, 503, "engine_unavailable");
        assertEquals("Redis refused the connection", down.json().get("message"));
        assertTrue(ch.isOpen(), "a health check that fails keeps the connection");
        Map<String, Object> metrics = exchange(ch, request(HttpMethod.GET, "/metrics")).json();
        assertEquals("node-7", metrics.get("node"));
        assertEquals(Map.of("available", false, "state", "Redis refused the connection", "reconnects", 3L),
                metrics.get("engine"));
        assertFalse(ch.finish());
    }

    @Test
    void aPublishTheEngineCouldNotStoreIs503EngineUnavailable() {
        broker.onPublish((topic, data) -> CompletableFuture.completedFuture(
                new PublishResult.Rejected(RejectReason.ENGINE_UNAVAILABLE, "Redis: Connection refused")));
        EmbeddedChannel ch = channel();
        Reply reply = exchange(ch, publish("{\"topic\":\"t\",\"data\":1}"));
        assertError(reply, 503, "engine_unavailable");
        assertEquals("Redis: Connection refused", reply.json().get("message"));
        assertTrue(ch.isOpen());
        assertFalse(ch.finish());
    }

    @Test
    void publishReturnsTheCreatedMessageAndHistoryReturnsItsExactBytes() {
        EmbeddedChannel ch = channel();
        String data = "{ \"message\" : \"Hello\",\n \"n\": [1, 2.50, -3e2], \"u\":\"\\u00e9\\n\" }";
        Reply published = exchange(ch, publish("{\"topic\":\"notifications\",\"data\":" + data + "}"));
        assertEquals(200, published.status(), published.body());
        Map<String, Object> json = published.json();
        assertEquals("notifications", json.get("topic"));
        assertEquals(1L, json.get("offset"));
        assertTrue(json.get("id") instanceof String id && !id.isEmpty());
        assertTrue(json.get("timestamp") instanceof String t && t.endsWith("Z"), published.body());
        assertEquals(broker.topicStats("notifications").orElseThrow().position().epoch(), json.get("epoch"));
        assertEquals(5, json.size());

        Reply history = exchange(ch, request(HttpMethod.GET, "/topics/notifications/history"));
        assertEquals(200, history.status());
        String expected = "[{\"id\":\"" + json.get("id") + "\",\"topic\":\"notifications\",\"offset\":1,"
                + "\"timestamp\":\"" + json.get("timestamp") + "\",\"data\":" + data + "}]";
        assertEquals(expected, history.body());
        assertFalse(ch.finish());
    }

    @Test
    void scalarDataIsKeptExactly() {
        EmbeddedChannel ch = channel();
        for (String data : List.of("\"a \\\"quoted\\\" string\"", "42", "-0.5e-3", "true", "false", "null", "[]",
                "{}", "\"\"")) {
            assertEquals(200, exchange(ch, publish("{\"data\": " + data + " ,\"topic\":\"t\"}")).status());
        }
        Reply history = exchange(ch, request(HttpMethod.GET, "/topics/t/history?limit=100"));
        // limit is capped at historyLimit (3): the oldest three
        List<Object> messages = TestJson.array(history.body());
        assertEquals(3, messages.size());
        assertTrue(history.body().contains("\"data\":\"a \\\"quoted\\\" string\"}"), history.body());
        assertTrue(history.body().contains("\"data\":42}"), history.body());
        assertTrue(history.body().contains("\"data\":-0.5e-3}"), history.body());
        Reply rest = exchange(ch, request(HttpMethod.GET, "/topics/t/history?since=3&limit=100"));
        assertTrue(rest.body().contains("\"offset\":4,") && rest.body().contains("\"data\":true}"), rest.body());
        assertTrue(rest.body().contains("\"data\":false}") && rest.body().contains("\"data\":null}"), rest.body());
        Reply last = exchange(ch, request(HttpMethod.GET, "/topics/t/history?since=6"));
        int empty = last.body().indexOf("\"data\":[]}");
        int object = last.body().indexOf("\"data\":{}}");
        assertTrue(empty > 0 && object > empty, last.body());
        assertEquals(3, TestJson.array(last.body()).size());
        assertTrue(last.body().contains("\"data\":{}}") && last.body().endsWith("\"data\":\"\"}]"), last.body());
        assertFalse(ch.finish());
    }

    @Test
    void historyPagesBySinceAndLimit() {
        EmbeddedChannel ch = channel();
        for (int i = 1; i <= 5; i++) {
            assertEquals(200, exchange(ch, publish("{\"topic\":\"p\",\"data\":" + i + "}")).status());
        }
        assertEquals(List.of(2L, 3L),
                offsets(exchange(ch, request(HttpMethod.GET, "/topics/p/history?since=1&limit=2"))));
        assertEquals(List.of(5L), offsets(exchange(ch, request(HttpMethod.GET, "/topics/p/history?since=4"))));
        assertEquals(List.of(), offsets(exchange(ch, request(HttpMethod.GET, "/topics/p/history?since=5"))));
        assertEquals(List.of(), offsets(exchange(ch, request(HttpMethod.GET, "/topics/p/history?limit=0"))));
        assertEquals(List.of(), offsets(exchange(ch, request(HttpMethod.GET, "/topics/unknown/history"))));
        assertFalse(ch.finish());
    }

    private static List<Long> offsets(Reply reply) {
        assertEquals(200, reply.status(), reply.body());
        return TestJson.array(reply.body()).stream().map(m -> (Long) ((Map<?, ?>) m).get("offset")).toList();
    }

    @Test
    void historyRejectsBadParametersAndTopics() {
        EmbeddedChannel ch = channel();
        assertError(exchange(ch, request(HttpMethod.GET, "/topics/p/history?limit=abc")), 400, "invalid_parameter");
        assertError(exchange(ch, request(HttpMethod.GET, "/topics/p/history?limit=-1")), 400, "invalid_parameter");
        assertError(exchange(ch, request(HttpMethod.GET, "/topics/p/history?since=x")), 400, "invalid_parameter");
        assertError(exchange(ch, request(HttpMethod.GET, "/topics/a.*/history")), 400, "invalid_topic");
        assertError(exchange(ch, request(HttpMethod.GET, "/topics//history")), 400, "invalid_topic");
        assertError(exchange(ch, request(HttpMethod.GET, "/topics/a/b/history")), 400, "invalid_topic");
        assertTrue(ch.isOpen(), "errors keep the connection open");
        assertFalse(ch.finish());
    }

    @Test
    void publishRejectsBadBodies() {
        EmbeddedChannel ch = channel();
        assertError(exchange(ch, publish("")), 400, "invalid_json");
        assertError(exchange(ch, publish("{\"topic\":\"t\",\"data\":")), 400, "invalid_json");
        assertError(exchange(ch, publish("{\"topic\":\"t\",\"data\":1} {}")), 400, "invalid_json");
        assertError(exchange(ch, publish("[1]")), 400, "invalid_json");
        assertError(exchange(ch, publish("{\"topic\":\"t\",\"topic\":\"u\",\"data\":1}")), 400, "invalid_json");
        assertError(exchange(ch, publish("{\"topic\":\"t\",\"data\":1,\"data\":2}")), 400, "invalid_json");
        assertError(exchange(ch, publish("{\"topic\":\"t\",\"data\":tru}")), 400, "invalid_json");
        assertError(exchange(ch, publish("{\"data\":1}")), 400, "missing_field");
        assertError(exchange(ch, publish("{\"topic\":\"t\"}")), 400, "missing_field");
        assertError(exchange(ch, publish("{\"topic\":1,\"data\":1}")), 400, "invalid_topic");
        assertError(exchange(ch, publish("{\"topic\":\"a.>\",\"data\":1}")), 400, "invalid_topic");
        assertError(exchange(ch, publish("{\"topic\":\"\",\"data\":1}")), 400, "invalid_topic");
        assertTrue(ch.isOpen());
        assertEquals(0, broker.stats().published());
        assertEquals(200, exchange(ch, publish("{\"topic\":\"t\",\"extra\":{\"x\":[1]},\"data\":1}")).status());
        assertFalse(ch.finish());
    }

    @Test
    void publishNeedsAJsonContentType() {
        EmbeddedChannel ch = channel();
        String body = "{\"topic\":\"t\",\"data\":1}";
        assertError(exchange(ch, publish(body, null)), 415, "unsupported_media_type");
        assertError(exchange(ch, publish(body, "text/plain")), 415, "unsupported_media_type");
        assertError(exchange(ch, publish(body, "application/x-www-form-urlencoded")), 415, "unsupported_media_type");
        assertError(exchange(ch, publish(body, "application/json; charset=iso-8859-1")), 415,
                "unsupported_media_type");
        assertEquals(200, exchange(ch, publish(body, "application/json; charset=UTF-8")).status());
        assertEquals(200, exchange(ch, publish(body, "Application/JSON;charset=\"utf-8\"")).status());
        assertFalse(ch.finish());
    }

    @Test
    void unknownPathsAndWrongMethods() {
        EmbeddedChannel ch = channel();
        assertError(exchange(ch, request(HttpMethod.GET, "/nope")), 404, "not_found");
        assertError(exchange(ch, request(HttpMethod.GET, "/")), 404, "not_found");
        assertError(exchange(ch, request(HttpMethod.GET, "/topics/t")), 404, "not_found");
        Reply reply = exchange(ch, request(HttpMethod.GET, "/publish"));
        assertError(reply, 405, "method_not_allowed");
        assertEquals("POST", reply.headers().get(HttpHeaderNames.ALLOW));
        reply = exchange(ch, request(HttpMethod.POST, "/health"));
        assertError(reply, 405, "method_not_allowed");
        assertEquals("GET", reply.headers().get(HttpHeaderNames.ALLOW));
        reply = exchange(ch, request(HttpMethod.DELETE, "/topics/t/history"));
        assertEquals("GET", reply.headers().get(HttpHeaderNames.ALLOW));
        reply = exchange(ch, request(HttpMethod.PUT, "/metrics"));
        assertError(reply, 405, "method_not_allowed");
        reply = exchange(ch, request(HttpMethod.POST, "/ws"));
        assertError(reply, 405, "method_not_allowed");
        assertTrue(ch.isOpen());
        assertFalse(ch.finish());
    }

    @Test
    void backPressureIs429AndAClosedBrokerIs503() {
        EmbeddedChannel ch = channel();
        broker.onPublish((topic, data) -> CompletableFuture.completedFuture(
                new PublishResult.Rejected(RejectReason.BACKPRESSURE_TIMEOUT, "subscriber full")));
        assertError(exchange(ch, publish("{\"topic\":\"t\",\"data\":1}")), 429, "backpressure");
        broker.onPublish(null);
        broker.delegate().close();
        assertError(exchange(ch, publish("{\"topic\":\"t\",\"data\":1}")), 503, "unavailable");
        assertError(exchange(ch, request(HttpMethod.GET, "/topics/t/history")), 503, "unavailable");
        assertFalse(ch.finish());
    }

    @Test
    void aFailedPublishStageIs500() {
        EmbeddedChannel ch = channel();
        broker.onPublish((topic, data) -> CompletableFuture.failedFuture(new IllegalStateException("engine down")));
        assertError(exchange(ch, publish("{\"topic\":\"t\",\"data\":1}")), 500, "internal_error");
        assertTrue(ch.isOpen());
        assertFalse(ch.finish());
    }

    @Test
    void metricsShowBrokerAndServerCounters() {
        EmbeddedChannel ch = channel();
        assertEquals(200, exchange(ch, publish("{\"topic\":\"t\",\"data\":1}")).status());
        assertEquals(404, exchange(ch, request(HttpMethod.GET, "/x")).status());
        Reply reply = exchange(ch, request(HttpMethod.GET, "/metrics"));
        assertEquals(200, reply.status());
        Map<String, Object> json = reply.json();
        Map<?, ?> brokerStats = (Map<?, ?>) json.get("broker");
        Map<?, ?> serverStats = (Map<?, ?>) json.get("server");
        assertEquals(1L, brokerStats.get("published"));
        assertEquals(1L, brokerStats.get("topics"));
        assertEquals(1L, serverStats.get("connectionsOpen"));
        Map<?, ?> http = (Map<?, ?>) serverStats.get("httpResponses");
        assertEquals(1L, http.get("2xx"));
        assertEquals(1L, http.get("4xx"));
        assertEquals(1L, serverStats.get("errorsSent"));
        assertFalse(ch.finish());
        assertEquals(0, server.metrics().connectionsOpen());
    }

    @Test
    void connectionClosePreventsKeepAlive() {
        EmbeddedChannel ch = channel();
        FullHttpRequest r = request(HttpMethod.GET, "/health");
        r.headers().set(HttpHeaderNames.CONNECTION, "close");
        Reply reply = exchange(ch, r);
        assertEquals("close", reply.headers().get(HttpHeaderNames.CONNECTION));
        assertFalse(ch.isOpen());
        assertFalse(ch.finish());
    }

    @Test
    void http10GetsKeepAliveOnlyWhenAsked() {
        EmbeddedChannel ch = channel();
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_0, HttpMethod.GET, "/health");
        r.headers().set(HttpHeaderNames.CONNECTION, "keep-alive");
        Reply reply = exchange(ch, r);
        assertEquals("keep-alive", reply.headers().get(HttpHeaderNames.CONNECTION));
        assertTrue(ch.isOpen());
        exchange(ch, new DefaultFullHttpRequest(HttpVersion.HTTP_1_0, HttpMethod.GET, "/health"));
        assertFalse(ch.isOpen());
        assertFalse(ch.finish());
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderWhileAPublishIsInFlight() {
        EmbeddedChannel ch = channel();
        CompletableFuture<PublishResult> pending = new CompletableFuture<>();
        broker.onPublish((topic, data) -> pending);
        assertFalse(ch.writeInbound(publish("{\"topic\":\"t\",\"data\":1}")));
        assertFalse(ch.writeInbound(request(HttpMethod.GET, "/health")));
        assertFalse(ch.writeInbound(request(HttpMethod.GET, "/nope")));
        assertNull(ch.readOutbound(), "nothing may overtake the publish in flight");
        assertFalse(ch.config().isAutoRead(), "reading pauses while requests wait");
        broker.onPublish(null);
        pending.complete(broker.delegate().publish("t", RawJson.of("1")).toCompletableFuture().join());
        ch.runPendingTasks();
        assertEquals(200, read(ch).status());
        Reply second = read(ch);
        assertEquals(Map.of("status", "ok"), second.json());
        assertEquals(404, read(ch).status());
        assertTrue(ch.config().isAutoRead());
        assertFalse(ch.finish());
    }

    @Test
    void tooManyPipelinedRequestsCloseTheConnectionAndAreReleased() {
        EmbeddedChannel ch = channel();
        broker.onPublish((topic, data) -> new CompletableFuture<>());
        assertFalse(ch.writeInbound(publish("{\"topic\":\"t\",\"data\":1}")));
        for (int i = 0; i < 17; i++) {
            ch.writeInbound(request(HttpMethod.GET, "/health"));
        }
        assertFalse(ch.isOpen());
        assertNull(ch.readOutbound());
        assertFalse(ch.finish());
    }

    @Test
    void originsAreCheckedBeforeRoutingAndBeforeTheUpgrade() {
        EmbeddedChannel ch = channel();
        FullHttpRequest foreign = request(HttpMethod.GET, "/ws");
        foreign.headers().set(HttpHeaderNames.ORIGIN, "https://evil.example");
        assertError(exchange(ch, foreign), 403, "origin_not_allowed");
        FullHttpRequest foreignPublish = publish("{\"topic\":\"t\",\"data\":1}");
        foreignPublish.headers().set(HttpHeaderNames.ORIGIN, "http://localhost:3000");
        assertError(exchange(ch, foreignPublish), 403, "origin_not_allowed");
        assertEquals(0, broker.stats().published());
        FullHttpRequest sameOrigin = request(HttpMethod.GET, "/health");
        sameOrigin.headers().set(HttpHeaderNames.ORIGIN, "http://localhost:8080");
        assertEquals(200, exchange(ch, sameOrigin).status());
        assertEquals(2, server.metrics().originsRejected());
        assertFalse(ch.finish());
    }

    @Test
    void connectionsPastTheLimitGet503AndAreClosed() {
        server = context(HeraldServerConfig.builder().maxConnections(1).build());
        EmbeddedChannel first = channel();
        EmbeddedChannel second = channel();
        assertError(exchange(second, request(HttpMethod.GET, "/ws")), 503, "unavailable");
        assertFalse(second.isOpen());
        assertEquals(200, exchange(first, request(HttpMethod.GET, "/health")).status());
        assertEquals(1, server.metrics().connectionsRejected());
        assertFalse(second.finish());
        assertFalse(first.finish());
        EmbeddedChannel third = channel();
        assertEquals(200, exchange(third, request(HttpMethod.GET, "/health")).status());
        assertFalse(third.finish());
    }

    @Test
    void shutdownLetsInFlightRequestsFinishAndAnswersEveryOtherRequestWith503() {
        EmbeddedChannel idle = channel();
        EmbeddedChannel busy = channel();
        CompletableFuture<PublishResult> pending = new CompletableFuture<>();
        broker.onPublish((topic, data) -> pending);
        assertFalse(busy.writeInbound(publish("{\"topic\":\"t\",\"data\":1}")));
        server.beginShutdown();
        idle.runPendingTasks();
        busy.runPendingTasks();
        assertTrue(idle.isOpen(), "an idle connection stays, so that its next request learns the server stops");
        assertTrue(busy.isOpen());
        broker.onPublish(null);
        pending.complete(broker.delegate().publish("t", RawJson.of("1")).toCompletableFuture().join());
        Reply reply = read(busy);
        assertEquals(200, reply.status());
        assertEquals("close", reply.headers().get(HttpHeaderNames.CONNECTION));
        assertFalse(busy.isOpen());
        Reply refused = exchange(idle, request(HttpMethod.GET, "/health"));
        assertError(refused, 503, "unavailable");
        assertEquals("close", refused.headers().get(HttpHeaderNames.CONNECTION));
        assertFalse(idle.isOpen());
        assertFalse(idle.finish());
        assertFalse(busy.finish());
        EmbeddedChannel late = channel();
        assertTrue(late.isOpen(), "a connection accepted during shutdown is kept to be told");
        assertError(exchange(late, request(HttpMethod.GET, "/health")), 503, "unavailable");
        assertFalse(late.isOpen());
        assertFalse(late.finish());
    }

    @Test
    void requestsDuringShutdownGet503() {
        EmbeddedChannel ch = new EmbeddedChannel(new HttpRequestRouter(server));
        server.beginShutdown(); // ch is not registered with the server, so it is not closed by the event
        assertError(exchange(ch, request(HttpMethod.GET, "/health")), 503, "unavailable");
        assertFalse(ch.isOpen());
        assertFalse(ch.finish());
    }

    @Test
    void idleHttpConnectionsCloseButNotWithARequestInFlight() {
        EmbeddedChannel ch = channel();
        ch.pipeline().fireUserEventTriggered(IdleStateEvent.FIRST_READER_IDLE_STATE_EVENT);
        assertFalse(ch.isOpen());
        assertFalse(ch.finish());

        EmbeddedChannel busy = channel();
        broker.onPublish((topic, data) -> new CompletableFuture<>());
        busy.writeInbound(publish("{\"topic\":\"t\",\"data\":1}"));
        busy.pipeline().fireUserEventTriggered(IdleStateEvent.FIRST_READER_IDLE_STATE_EVENT);
        assertTrue(busy.isOpen());
        busy.close();
        assertFalse(busy.finish());
    }

    @Test
    void undecodableRequestsGet400AndClose() {
        EmbeddedChannel ch = channel();
        FullHttpRequest bad = request(HttpMethod.GET, "/health");
        bad.setDecoderResult(io.netty.handler.codec.DecoderResult.failure(new IllegalArgumentException("bad line")));
        assertError(exchange(ch, bad), 400, "bad_request");
        assertFalse(ch.isOpen());
        assertFalse(ch.finish());
    }

    @Test
    void allowedCrossOriginRequestsGetCorsHeadersAndPreflightsAreAnswered() {
        server = context(HeraldServerConfig.builder().allowedOrigins(List.of("https://*.example.com")).build());
        EmbeddedChannel ch = channel();
        FullHttpRequest preflight = request(HttpMethod.OPTIONS, "/publish");
        preflight.headers().set(HttpHeaderNames.ORIGIN, "https://app.example.com");
        preflight.headers().set(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD, "POST");
        Reply reply = exchange(ch, preflight);
        assertEquals(204, reply.status());
        assertEquals("POST", reply.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS));
        assertEquals("content-type, authorization", reply.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS));
        assertEquals("https://app.example.com", reply.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN));
        FullHttpRequest get = request(HttpMethod.GET, "/health");
        get.headers().set(HttpHeaderNames.ORIGIN, "https://app.example.com");
        reply = exchange(ch, get);
        assertEquals(200, reply.status());
        assertEquals("https://app.example.com", reply.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN));
        assertEquals("origin", reply.headers().get(HttpHeaderNames.VARY));
        reply = exchange(ch, request(HttpMethod.GET, "/health"));
        assertNull(reply.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN), "no Origin, no CORS header");
        FullHttpRequest foreign = request(HttpMethod.OPTIONS, "/publish");
        foreign.headers().set(HttpHeaderNames.ORIGIN, "https://example.org");
        reply = exchange(ch, foreign);
        assertEquals(403, reply.status());
        assertNull(reply.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN));
        assertFalse(ch.finish());
    }
}
