package dev.herald.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.Broker;
import dev.herald.core.policy.HistoryPolicy;
import dev.herald.netty.internal.ConnectionLimits;
import dev.herald.netty.internal.LimitCounters;
import dev.herald.netty.internal.RequestDeadline;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Each HTTP abuse limit's answer, on raw bytes through the whole pipeline: 414 and 431 from the codec's limits,
 * 429 from the rate limits, 408 at the request deadline, the pipelining bound, and the per-address gate. Time is
 * the embedded event loop's, moved by the test.
 */
@ExtendWith(NettyLeakDetectorExtension.class)
class HttpLimitsPipelineTest {
    private static final String HEALTH = "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n";

    private final ControllableBroker broker = new ControllableBroker(Broker.<RawJson>builder()
            .history(HistoryPolicy.lastN(10)).executor(Runnable::run).build());
    private HeraldChannelInitializer initializer;

    @AfterEach
    void close() {
        broker.close();
    }

    private EmbeddedChannel channel(UnaryOperator<HeraldServerConfig.Builder> settings) {
        initializer = new HeraldChannelInitializer(broker, settings.apply(HeraldServerConfig.builder()).build());
        EmbeddedChannel ch = new EmbeddedChannel(DefaultChannelId.newInstance(), initializer);
        ch.freezeTime(); // only the test moves the clock
        return ch;
    }

    private LimitCounters counters() {
        return initializer.context().metrics().limits();
    }

    /** Writes raw bytes, runs what is due, and returns everything written back. */
    private static String send(EmbeddedChannel ch, String raw) {
        if (!raw.isEmpty()) {
            ch.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.UTF_8));
        }
        ch.runPendingTasks();
        return drain(ch);
    }

    private static String drain(EmbeddedChannel ch) {
        StringBuilder out = new StringBuilder();
        ByteBuf buf;
        while ((buf = ch.readOutbound()) != null) {
            out.append(buf.toString(StandardCharsets.UTF_8));
            buf.release();
        }
        return out.toString();
    }

    private static String post(String body) {
        return "POST /publish HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
    }

    private static Map<String, Object> body(String response) {
        return TestJson.object(response.substring(response.indexOf("\r\n\r\n") + 4));
    }

    private static String header(String response, String name) {
        for (String line : response.substring(0, response.indexOf("\r\n\r\n")).split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith(name.toLowerCase(Locale.ROOT) + ":")) {
                return line.substring(name.length() + 1).strip();
            }
        }
        return null;
    }

    private static void assertError(String response, int status, String code) {
        assertTrue(response.startsWith("HTTP/1.") && response.substring(9, 12).equals(Integer.toString(status)),
                response);
        assertTrue(header(response, "content-type").startsWith("application/json"), response);
        assertEquals(code, body(response).get("code"), response);
    }

    private static void advance(EmbeddedChannel ch, long millis) {
        ch.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
    }

    // ------------------------------------------------------------------ request line and headers

    @Test
    void aRequestLineLongerThanTheLimitGets414AndTheConnectionCloses() {
        EmbeddedChannel ch = channel(b -> b.maxRequestLineBytes(100));
        String ok = send(ch, "GET /topics/" + "a".repeat(60) + "/history HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertTrue(ok.startsWith("HTTP/1.1 200 "), ok);
        String response = send(ch, "GET /topics/" + "a".repeat(200) + "/history HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertError(response, 414, "uri_too_long");
        assertEquals("the request line is longer than 100 bytes", body(response).get("message"));
        assertEquals("close", header(response, "connection"));
        assertFalse(ch.isOpen());
        assertFalse(ch.finish());
    }

    @Test
    void headersLongerThanTheLimitGet431AndTheConnectionCloses() {
        EmbeddedChannel ch = channel(b -> b.maxHeaderBytes(300));
        String ok = send(ch, "GET /health HTTP/1.1\r\nHost: localhost\r\nCookie: " + "c".repeat(200) + "\r\n\r\n");
        assertTrue(ok.startsWith("HTTP/1.1 200 "), ok);
        String response = send(ch, "GET /health HTTP/1.1\r\nHost: localhost\r\nCookie: " + "c".repeat(200)
                + "\r\nX-More: " + "m".repeat(200) + "\r\n\r\n");
        assertError(response, 431, "headers_too_large");
        assertEquals("close", header(response, "connection"));
        assertFalse(ch.isOpen());
        assertFalse(ch.finish());
    }

    @Test
    void theDefaultsTakeALongTokenInTheQueryAndRefuseAHugeOne() {
        EmbeddedChannel ch = channel(b -> b);
        String ok = send(ch, "GET /health?token=" + "t".repeat(4000) + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertTrue(ok.startsWith("HTTP/1.1 200 "), "a 4 KB token fits the 8 KiB default: " + ok);
        assertError(send(ch, "GET /health?token=" + "t".repeat(9000) + " HTTP/1.1\r\nHost: localhost\r\n\r\n"),
                414, "uri_too_long");
        assertFalse(ch.finish());
    }

    // ------------------------------------------------------------------ rate limits

    @Test
    void requestsPastTheRateGet429WithRetryAfterAndTheConnectionStays() {
        EmbeddedChannel ch = channel(b -> b.requestRateLimit(RateLimit.perSecond(1, 2)));
        assertTrue(send(ch, HEALTH).startsWith("HTTP/1.1 200 "));
        assertTrue(send(ch, HEALTH).startsWith("HTTP/1.1 200 "));
        String limited = send(ch, HEALTH);
        assertError(limited, 429, "rate_limited");
        assertEquals("1", header(limited, "retry-after"), "seconds, rounded up");
        assertTrue(((String) body(limited).get("message")).contains("1/s burst 2"), limited);
        assertNull(header(limited, "connection"), "keep-alive: the connection stays");
        assertTrue(ch.isOpen());
        assertEquals(1, counters().httpRequestsRateLimited());
        advance(ch, 1000);
        assertTrue(send(ch, HEALTH).startsWith("HTTP/1.1 200 "), "a token came back after a second");
        assertError(send(ch, post("{\"topic\":\"t\",\"data\":1}")), 429, "rate_limited");
        assertEquals(0, broker.stats().published(), "a refused publish is not published");
        assertFalse(ch.finish());
    }

    @Test
    void publishesPastThePublishRateGet429WhileOtherRequestsGoOn() {
        EmbeddedChannel ch = channel(b -> b.publishRateLimit(RateLimit.perSecond(0.5, 1)));
        assertTrue(send(ch, post("{\"topic\":\"t\",\"data\":1}")).startsWith("HTTP/1.1 200 "));
        String limited = send(ch, post("{\"topic\":\"t\",\"data\":2}"));
        assertError(limited, 429, "rate_limited");
        assertEquals("2", header(limited, "retry-after"), "one publish every 2 s");
        assertTrue(send(ch, "GET /topics/t/history HTTP/1.1\r\nHost: localhost\r\n\r\n").startsWith("HTTP/1.1 200 "));
        assertEquals(1, broker.stats().published());
        assertEquals(1, counters().httpPublishesRateLimited());
        assertEquals(0, counters().httpRequestsRateLimited());
        advance(ch, 2000);
        assertTrue(send(ch, post("{\"topic\":\"t\",\"data\":3}")).startsWith("HTTP/1.1 200 "));
        assertFalse(ch.finish());
    }

    @Test
    void aClientThatGoesOnPastItsRefusalsIsClosed() {
        EmbeddedChannel ch = channel(b -> b.requestRateLimit(RateLimit.perSecond(0.01, 1)));
        assertTrue(send(ch, HEALTH).startsWith("HTTP/1.1 200 "));
        for (int i = 0; i < ConnectionLimits.REFUSALS_BURST; i++) {
            String limited = send(ch, HEALTH);
            assertError(limited, 429, "rate_limited");
            assertNull(header(limited, "connection"), "refusal " + i + " keeps the connection");
        }
        String last = send(ch, HEALTH);
        assertError(last, 429, "rate_limited");
        assertEquals("close", header(last, "connection"));
        assertFalse(ch.isOpen());
        assertEquals(1, counters().rateLimitCloses());
        assertEquals(ConnectionLimits.REFUSALS_BURST + 1, counters().httpRequestsRateLimited());
        assertFalse(ch.finish());
    }

    @Test
    void limitsCanBeTurnedOff() {
        EmbeddedChannel ch = channel(b -> b.requestRateLimit(RateLimit.off()).publishRateLimit(RateLimit.off()));
        for (int i = 0; i < 1000; i++) {
            assertTrue(send(ch, post("{\"topic\":\"t\",\"data\":" + i + "}")).startsWith("HTTP/1.1 200 "));
        }
        assertFalse(ch.finish());
    }

    // ------------------------------------------------------------------ request deadline

    @Test
    void aRequestHeadDribbledInSlowerThanTheDeadlineGets408AndIsClosed() {
        EmbeddedChannel ch = channel(b -> b.requestTimeout(Duration.ofSeconds(2)));
        String head = HEALTH;
        StringBuilder out = new StringBuilder();
        int sent = 0;
        // One byte every 500 ms: never idle, and never done before the deadline.
        while (ch.isOpen() && sent < head.length()) {
            out.append(send(ch, head.substring(sent, sent + 1)));
            sent++;
            advance(ch, 500);
        }
        out.append(drain(ch));
        assertEquals(4, sent, "closed 2 s after the first byte, after 4 bytes");
        assertError(out.toString(), 408, "request_timeout");
        assertFalse(ch.isOpen());
        assertEquals(1, counters().requestTimeouts());
        assertFalse(ch.finish());
    }

    @Test
    void theDeadlineAnswers408JsonAndCoversTheBodyToo() {
        EmbeddedChannel ch = channel(b -> b.requestTimeout(Duration.ofSeconds(2)));
        String body = "{\"topic\":\"t\",\"data\":1}";
        String request = post(body);
        send(ch, request.substring(0, request.length() - 5)); // the head and most of the body
        advance(ch, 1999);
        assertTrue(ch.isOpen());
        advance(ch, 1);
        ch.runPendingTasks();
        String response = drain(ch);
        assertError(response, 408, "request_timeout");
        assertEquals("the request did not arrive in full within 2 s", body(response).get("message"));
        assertEquals("close", header(response, "connection"));
        assertFalse(ch.isOpen());
        assertEquals(0, broker.stats().published());
        assertFalse(ch.finish());
    }

    @Test
    void eachRequestHasItsOwnDeadlineAndAnIdleKeepAliveConnectionHasNone() {
        EmbeddedChannel ch = channel(b -> b.requestTimeout(Duration.ofSeconds(2)));
        for (int i = 0; i < 10; i++) {
            send(ch, "GET /health HTTP/1.1\r\n");
            advance(ch, 1500);
            assertTrue(send(ch, "Host: localhost\r\n\r\n").startsWith("HTTP/1.1 200 "), "request " + i);
            advance(ch, 1500);
        }
        advance(ch, 30_000); // idle between requests: the idle timeout's business, not the deadline's
        assertTrue(ch.isOpen());
        assertEquals(0, counters().requestTimeouts());
        assertTrue(send(ch, HEALTH).startsWith("HTTP/1.1 200 "));
        assertFalse(ch.finish());
    }

    @Test
    void theDeadlineIsGoneAfterTheWebSocketUpgrade() {
        EmbeddedChannel ch = channel(b -> b.requestTimeout(Duration.ofSeconds(2)));
        String response = send(ch, "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n");
        assertTrue(response.startsWith("HTTP/1.1 101 "), response);
        assertNull(ch.pipeline().get(RequestDeadline.NAME));
        assertNull(ch.pipeline().get(RequestDeadline.END_NAME));
        ch.close();
        drain(ch);
        assertFalse(ch.finish());
    }

    // ------------------------------------------------------------------ pipelining

    @Test
    void pipelinedRequestsPastTheBoundCloseTheConnectionAndAreReleased() {
        broker.onPublish((topic, data) -> new CompletableFuture<>()); // stays in flight
        EmbeddedChannel ch = channel(b -> b.maxPipelinedRequests(2));
        assertEquals("", send(ch, post("{\"topic\":\"t\",\"data\":1}") + HEALTH + HEALTH));
        assertTrue(ch.isOpen(), "two wait behind the publish");
        send(ch, HEALTH);
        assertFalse(ch.isOpen(), "the third closes");
        assertFalse(ch.finish());
    }

    // ------------------------------------------------------------------ per address

    @Test
    void aConnectionPastItsAddressesLimitIsClosedBeforeAnythingIsSetUp() throws Exception {
        HeraldServerConfig config = HeraldServerConfig.builder().maxConnectionsPerAddress(1)
                .connectionRateLimit(RateLimit.off()).build();
        initializer = new HeraldChannelInitializer(broker, config);
        InetAddress client = InetAddress.getByName("192.0.2.10");
        EmbeddedChannel first = new AddressChannel(client, initializer);
        EmbeddedChannel second = new AddressChannel(client, initializer);
        EmbeddedChannel other = new AddressChannel(InetAddress.getByName("192.0.2.11"), initializer);
        assertFalse(second.isOpen(), "refused at once");
        assertNull(second.pipeline().get("http-codec"), "nothing was set up for it");
        assertEquals(1, counters().connectionsOverAddressLimit());
        assertTrue(send(first, HEALTH).startsWith("HTTP/1.1 200 "));
        assertTrue(send(other, HEALTH).startsWith("HTTP/1.1 200 "), "another address is not affected");
        assertEquals(2, initializer.context().addressLimiter().trackedAddresses());
        first.close();
        EmbeddedChannel again = new AddressChannel(client, initializer);
        assertTrue(send(again, HEALTH).startsWith("HTTP/1.1 200 "), "the closed connection made room");
        String metrics = send(again, "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n");
        @SuppressWarnings("unchecked")
        Map<String, Object> server = (Map<String, Object>) body(metrics).get("server");
        assertEquals(1L, ((Number) server.get("connectionsOverAddressLimit")).longValue());
        assertEquals(2L, ((Number) server.get("addressesTracked")).longValue());
        for (String counter : new String[] {"connectionsRateLimited", "addressesUntracked", "httpRequestsRateLimited",
                "httpPublishesRateLimited", "wsCommandsRateLimited", "wsPublishesRateLimited", "rateLimitCloses",
                "requestTimeouts"}) {
            assertEquals(0L, ((Number) server.get(counter)).longValue(), counter);
        }
        for (EmbeddedChannel ch : new EmbeddedChannel[] {first, second, other, again}) {
            ch.close();
            assertFalse(ch.finish());
        }
    }
}
