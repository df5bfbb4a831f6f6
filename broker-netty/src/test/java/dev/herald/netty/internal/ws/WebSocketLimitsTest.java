package dev.herald.netty.internal.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.Broker;
import dev.herald.core.policy.HistoryPolicy;
import dev.herald.netty.HeraldServerConfig;
import dev.herald.netty.NettyLeakDetectorExtension;
import dev.herald.netty.RateLimit;
import dev.herald.netty.RawJson;
import dev.herald.netty.auth.Authorizer;
import dev.herald.netty.internal.Caller;
import dev.herald.netty.internal.ServerContext;
import dev.herald.netty.internal.ConnectionLimits;
import dev.herald.netty.internal.ServerMetrics;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.ReferenceCountUtil;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The WebSocket session's rate limits on an {@link EmbeddedChannel} whose clock only the test moves: a refused
 * command gets {@code rate_limited} and is not executed, a client that goes on is closed with 1008, and pings
 * count too.
 */
@ExtendWith(NettyLeakDetectorExtension.class)
class WebSocketLimitsTest {
    private final Broker<RawJson> broker = Broker.<RawJson>builder().history(HistoryPolicy.lastN(100))
            .executor(Runnable::run).build();
    private final ServerMetrics metrics = new ServerMetrics();
    private EmbeddedChannel ch;

    @AfterEach
    void tearDown() {
        if (ch != null) {
            ch.close();
            releaseAll();
            assertFalse(ch.finish());
        }
        broker.close();
    }

    private void open(UnaryOperator<HeraldServerConfig.Builder> settings) {
        HeraldServerConfig config = settings.apply(HeraldServerConfig.builder()).build();
        WebSocketServerProtocolConfig protocol = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(config.websocketPath())
                .maxFramePayloadLength(config.maxFrameBytes())
                .forceCloseTimeoutMillis(3000)
                .build();
        ch = new EmbeddedChannel();
        ch.freezeTime();
        ch.pipeline().addLast(new PingLimiter(ConnectionLimits.of(ch, config), metrics.limits()),
                new WebSocketServerProtocolHandler(protocol),
                new WebSocketFrameAggregator(config.maxFrameBytes()),
                new WebSocketSessionHandler(new ServerContext(broker, config, metrics),
                        Caller.anonymous(Authorizer.allowAll())));
        for (Map.Entry<String, ChannelHandler> entry : ch.pipeline().toMap().entrySet()) {
            if (entry.getValue().getClass().getSimpleName().equals("WebSocketServerProtocolHandshakeHandler")) {
                ch.pipeline().remove(entry.getKey());
            }
        }
        ch.pipeline().fireUserEventTriggered(
                new WebSocketServerProtocolHandler.HandshakeComplete("/ws", new DefaultHttpHeaders(), null));
    }

    private void send(String json) {
        ch.writeInbound(new TextWebSocketFrame(json));
    }

    private Map<String, Object> nextJson() {
        ch.runPendingTasks();
        Object out = ch.readOutbound();
        assertInstanceOf(TextWebSocketFrame.class, out, "expected a text frame, got " + out);
        TextWebSocketFrame frame = (TextWebSocketFrame) out;
        try {
            return TestJson.object(frame.text());
        } finally {
            frame.release();
        }
    }

    private Map<String, Object> exchange(String json) {
        send(json);
        return nextJson();
    }

    private void releaseAll() {
        Object out;
        while ((out = ch.readOutbound()) != null) {
            ReferenceCountUtil.release(out);
        }
        while ((out = ch.readInbound()) != null) {
            ReferenceCountUtil.release(out);
        }
    }

    private static void assertRateLimited(Map<String, Object> reply) {
        assertEquals("error", reply.get("type"), reply.toString());
        assertEquals("rate_limited", reply.get("code"), reply.toString());
        assertTrue(reply.get("message") instanceof String m && !m.isEmpty(), reply.toString());
        assertTrue(reply.get("retryAfterMs") instanceof Long ms && ms > 0, reply.toString());
    }

    @Test
    void commandsPastTheRateAreRefusedNotExecutedAndEchoTheirId() {
        open(b -> b.requestRateLimit(RateLimit.perSecond(2, 2)));
        assertEquals("pong", exchange("{\"action\":\"ping\"}").get("type"));
        assertEquals("subscribed", exchange("{\"action\":\"subscribe\",\"topic\":\"a\"}").get("type"));
        Map<String, Object> refused = exchange("{\"action\":\"subscribe\",\"topic\":\"b\",\"id\":\"s2\"}");
        assertRateLimited(refused);
        assertEquals("s2", refused.get("id"), "the request id is echoed, so the client knows which one to retry");
        assertEquals(500L, refused.get("retryAfterMs"), "one command every 500 ms");
        assertEquals(1, broker.stats().subscriptions(), "the refused subscribe did nothing");
        assertRateLimited(exchange("{not json"));
        ch.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1})));
        assertRateLimited(nextJson());
        assertTrue(ch.isActive(), "the connection stays");
        assertEquals(3, metrics.limits().wsCommandsRateLimited());
        ch.advanceTimeBy(500, TimeUnit.MILLISECONDS);
        assertEquals("subscribed", exchange("{\"action\":\"subscribe\",\"topic\":\"b\",\"id\":\"s2\"}").get("type"),
                "after waiting as told, the retry goes through");
        assertEquals(2, broker.stats().subscriptions());
    }

    @Test
    void publishesPastThePublishRateAreRefusedWhileOtherCommandsGoOn() {
        open(b -> b.publishRateLimit(RateLimit.perSecond(1, 1)));
        assertEquals("published", exchange("{\"action\":\"publish\",\"topic\":\"t\",\"data\":1}").get("type"));
        Map<String, Object> refused = exchange("{\"action\":\"publish\",\"topic\":\"t\",\"data\":2,\"id\":7}");
        assertRateLimited(refused);
        assertEquals(7L, refused.get("id"));
        assertEquals("pong", exchange("{\"action\":\"ping\"}").get("type"));
        assertEquals(1, broker.stats().published(), "the refused publish was not published");
        assertEquals(1, metrics.limits().wsPublishesRateLimited());
        assertEquals(0, metrics.limits().wsCommandsRateLimited());
        ch.advanceTimeBy(1, TimeUnit.SECONDS);
        assertEquals("published", exchange("{\"action\":\"publish\",\"topic\":\"t\",\"data\":3}").get("type"));
    }

    @Test
    void aClientThatGoesOnPastItsRefusalsIsClosedWith1008() {
        open(b -> b.requestRateLimit(RateLimit.perSecond(0.01, 1)));
        assertEquals("pong", exchange("{\"action\":\"ping\"}").get("type"));
        for (int i = 0; i < ConnectionLimits.REFUSALS_BURST; i++) {
            assertRateLimited(exchange("{\"action\":\"ping\"}"));
        }
        send("{\"action\":\"ping\"}");
        assertRateLimited(nextJson());
        ch.runPendingTasks();
        Object close = ch.readOutbound();
        assertInstanceOf(CloseWebSocketFrame.class, close);
        try {
            assertEquals(1008, ((CloseWebSocketFrame) close).statusCode());
            assertEquals("rate limit exceeded", ((CloseWebSocketFrame) close).reasonText());
        } finally {
            ReferenceCountUtil.release(close);
        }
        assertEquals(1, metrics.limits().rateLimitCloses());
        // Still read, so that the client's data does not reset the connection before it sees the close; but no
        // command is handled any more.
        assertTrue(ch.isActive());
        send("{\"action\":\"ping\"}");
        ch.runPendingTasks();
        assertNull(ch.readOutbound(), "nothing after the close frame");
        ch.advanceTimeBy(3, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(ch.isActive(), "closed by the protocol handler's close timeout, the client never answered");
    }

    @Test
    void aClientThatAnswersTheCloseIsClosedAtOnce() {
        open(b -> b.requestRateLimit(RateLimit.perSecond(0.01, 1)));
        for (int i = 0; i <= ConnectionLimits.REFUSALS_BURST + 1; i++) {
            send("{\"action\":\"ping\"}");
        }
        ch.runPendingTasks();
        releaseAll();
        assertTrue(ch.isActive());
        ch.writeInbound(new CloseWebSocketFrame(1000, "ok"));
        ch.runPendingTasks();
        assertFalse(ch.isActive());
    }

    @Test
    void aRefusalComesBackEverySecondSoASlowOverrunIsNotClosed() {
        open(b -> b.requestRateLimit(RateLimit.perSecond(1, 1)));
        // Two commands a second against a limit of one: one refused each second, one refusal earned back.
        for (int second = 0; second < 200; second++) {
            assertEquals("pong", exchange("{\"action\":\"ping\"}").get("type"), "second " + second);
            assertRateLimited(exchange("{\"action\":\"ping\"}"));
            ch.advanceTimeBy(1, TimeUnit.SECONDS);
        }
        assertTrue(ch.isActive());
        assertEquals(0, metrics.limits().rateLimitCloses());
    }

    @Test
    void pingFramesTakeARequestPermitAndPastTheLimitGoUnanswered() {
        open(b -> b.requestRateLimit(RateLimit.perSecond(0.01, 2)));
        ch.writeInbound(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1})));
        ch.writeInbound(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {2})));
        for (int i = 0; i < 2; i++) {
            Object pong = ch.readOutbound();
            assertTrue(pong instanceof io.netty.handler.codec.http.websocketx.PongWebSocketFrame, "pong " + pong);
            ReferenceCountUtil.release(pong);
        }
        ch.writeInbound(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {3})));
        assertNull(ch.readOutbound(), "past the limit: dropped, no pong");
        assertEquals(1, metrics.limits().wsCommandsRateLimited());
        assertRateLimited(exchange("{\"action\":\"ping\"}"));
        Object close = null;
        int pings = 0;
        while (close == null && pings < 2 * ConnectionLimits.REFUSALS_BURST) {
            ch.writeInbound(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {4})));
            pings++;
            ch.runPendingTasks();
            close = ch.readOutbound();
        }
        assertEquals(ConnectionLimits.REFUSALS_BURST - 1, pings, "two refusals were used above; the next 48 are "
                + "allowed and the 49th closes");
        assertInstanceOf(CloseWebSocketFrame.class, close);
        try {
            assertEquals(1008, ((CloseWebSocketFrame) close).statusCode());
        } finally {
            ReferenceCountUtil.release(close);
        }
        for (int i = 0; i < 10; i++) {
            ch.writeInbound(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {5})));
        }
        ch.runPendingTasks();
        assertNull(ch.readOutbound(), "one close frame only, and no pongs after it");
        assertEquals(1, metrics.limits().rateLimitCloses());
    }
}
