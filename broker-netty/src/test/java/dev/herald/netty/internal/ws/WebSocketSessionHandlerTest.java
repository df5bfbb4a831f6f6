package dev.herald.netty.internal.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.Broker;
import dev.herald.core.PublishResult;
import dev.herald.core.policy.HistoryPolicy;
import dev.herald.netty.HeraldServerConfig;
import dev.herald.netty.NettyLeakDetectorExtension;
import dev.herald.netty.RawJson;
import dev.herald.netty.SlowConsumerPolicy;
import dev.herald.netty.auth.Authorizer;
import dev.herald.netty.internal.Caller;
import dev.herald.netty.internal.ServerContext;
import dev.herald.netty.internal.ServerMetrics;
import dev.herald.netty.internal.ServerShutdownEvent;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The session handler on an {@link EmbeddedChannel}: commands, replies, errors, delivery, overflow policies.
 * The broker delivers on the test thread; the drain runs when the test runs the channel's pending tasks.
 */
@ExtendWith(NettyLeakDetectorExtension.class)
class WebSocketSessionHandlerTest {
    private final Broker<RawJson> broker = Broker.<RawJson>builder().history(HistoryPolicy.lastN(100)).build();
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
                .build();
        ch = new EmbeddedChannel(new WebSocketServerProtocolHandler(protocol),
                new WebSocketFrameAggregator(config.maxFrameBytes()),
                new WebSocketSessionHandler(new ServerContext(broker, config, metrics),
                        Caller.anonymous(Authorizer.allowAll())));
        // As after a real upgrade: the handshake handler has removed itself.
        for (Map.Entry<String, ChannelHandler> entry : ch.pipeline().toMap().entrySet()) {
            if (entry.getValue().getClass().getSimpleName().equals("WebSocketServerProtocolHandshakeHandler")) {
                ch.pipeline().remove(entry.getKey());
            }
        }
        ch.pipeline().fireUserEventTriggered(
                new WebSocketServerProtocolHandler.HandshakeComplete("/ws", new DefaultHttpHeaders(), null));
        assertEquals(1, metrics.websocketSessionsOpen());
    }

    private void open() {
        open(b -> b);
    }

    private void send(String json) {
        ch.writeInbound(new TextWebSocketFrame(json));
    }

    /** The next text frame the server wrote, after running queued drains. */
    private String next() {
        ch.runPendingTasks();
        Object out = ch.readOutbound();
        assertInstanceOf(TextWebSocketFrame.class, out, "expected a text frame, got " + out);
        TextWebSocketFrame frame = (TextWebSocketFrame) out;
        try {
            return frame.text();
        } finally {
            frame.release();
        }
    }

    private Map<String, Object> nextJson() {
        return TestJson.object(next());
    }

    private Map<String, Object> exchange(String json) {
        send(json);
        return nextJson();
    }

    private void assertNoMoreOutput() {
        ch.runPendingTasks();
        Object out = ch.readOutbound();
        try {
            assertNull(out, "unexpected output " + out);
        } finally {
            ReferenceCountUtil.release(out);
        }
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

    private PublishResult.Accepted publish(String topic, String json) {
        return (PublishResult.Accepted) broker.publish(topic, RawJson.of(json)).toCompletableFuture().join();
    }

    private void assertError(Map<String, Object> reply, String code) {
        assertEquals("error", reply.get("type"), reply.toString());
        assertEquals(code, reply.get("code"), reply.toString());
        assertTrue(reply.get("message") instanceof String m && !m.isEmpty(), reply.toString());
        assertTrue(ch.isActive(), "an error must leave the connection open");
    }

    private CloseWebSocketFrame closeFrame() {
        ch.runPendingTasks();
        Object out;
        while ((out = ch.readOutbound()) != null) {
            if (out instanceof CloseWebSocketFrame close) {
                return close;
            }
            ReferenceCountUtil.release(out);
        }
        throw new AssertionError("no close frame was written");
    }

    @Test
    void originalProtocolSubscribeDeliverUnsubscribe() {
        open();
        Map<String, Object> subscribed = exchange("{\"action\":\"subscribe\",\"topic\":\"t\"}");
        assertEquals(List.of("type", "topic", "offset", "epoch"), List.copyOf(subscribed.keySet()));
        assertEquals("subscribed", subscribed.get("type"));
        assertEquals("t", subscribed.get("topic"));
        assertEquals(0L, subscribed.get("offset"));
        assertTrue(subscribed.get("epoch") instanceof String);

        PublishResult.Accepted accepted = publish("t", "{\"n\":1}");
        Map<String, Object> message = nextJson();
        assertEquals(List.of("id", "topic", "offset", "timestamp", "data"), List.copyOf(message.keySet()));
        assertEquals(accepted.id(), message.get("id"));
        assertEquals("t", message.get("topic"));
        assertEquals(1L, message.get("offset"));
        assertEquals(Map.of("n", 1L), message.get("data"));

        assertEquals(Map.of("type", "unsubscribed", "topic", "t"),
                exchange("{\"action\":\"unsubscribe\",\"topic\":\"t\"}"));
        assertEquals(0, broker.stats().subscriptions());
        publish("t", "2");
        assertNoMoreOutput();
    }

    @Test
    void repliesEchoStringAndNumberRequestIds() {
        open();
        assertEquals(Map.of("type", "pong", "id", "abc"), exchange("{\"action\":\"ping\",\"id\":\"abc\"}"));
        assertEquals(Map.of("type", "pong", "id", 12L), exchange("{\"action\":\"ping\",\"id\":12}"));
        assertEquals(Map.of("type", "pong"), exchange("{\"action\":\"ping\"}"));
        Map<String, Object> sub = exchange("{\"action\":\"subscribe\",\"topic\":\"a.*\",\"id\":1}");
        assertEquals(1L, sub.get("id"));
        assertEquals("subscribed", sub.get("type"));
        assertEquals("a.*", sub.get("topic"));
        assertError(exchange("{\"action\":\"nope\",\"id\":\"q\"}"), "unknown_action");
        send("{\"action\":\"nope\",\"id\":\"q\"}");
        assertEquals("q", nextJson().get("id"));
    }

    @Test
    void publishRepliesWithPositionAndDeliversOnceToSubscribers() {
        open();
        exchange("{\"action\":\"subscribe\",\"topic\":\"orders.>\"}");
        Map<String, Object> published =
                exchange("{\"action\":\"publish\",\"id\":\"p1\",\"topic\":\"orders.eu\",\"data\":[1, \"x\"]}");
        assertEquals("published", published.get("type"));
        assertEquals("p1", published.get("id"));
        assertEquals("orders.eu", published.get("topic"));
        assertEquals(1L, published.get("offset"));
        assertTrue(published.get("messageId") instanceof String);
        assertTrue(published.get("timestamp") instanceof String);
        assertTrue(published.get("epoch") instanceof String);
        Map<String, Object> message = nextJson();
        assertEquals(published.get("messageId"), message.get("id"));
        assertEquals(List.of(1L, "x"), message.get("data"));
        assertFalse(message.containsKey("type"));
        assertNoMoreOutput();
        assertEquals("[1, \"x\"]", broker.history("orders.eu", dev.herald.core.HistoryQuery.all())
                .toCompletableFuture().join().messages().get(0).data().json());
    }

    @Test
    void resumeFromOffsetAndEpochDeliversExactlyTheLaterMessages() {
        open();
        String epoch = null;
        for (int i = 1; i <= 5; i++) {
            epoch = publish("t", Integer.toString(i)).epoch();
        }
        Map<String, Object> sub = exchange("{\"action\":\"subscribe\",\"topic\":\"t\",\"offset\":2,\"epoch\":\""
                + epoch + "\"}");
        assertEquals(Map.of("type", "subscribed", "topic", "t", "offset", 5L, "epoch", epoch, "recovered", true),
                sub);
        for (long offset = 3; offset <= 5; offset++) {
            Map<String, Object> message = nextJson();
            assertEquals(offset, message.get("offset"));
            assertEquals(offset, message.get("data"));
        }
        publish("t", "6");
        assertEquals(6L, nextJson().get("offset"));
        assertNoMoreOutput();
    }

    @Test
    void resumeFromAnotherEpochIsNotRecoveredAndGetsWhatIsRetained() {
        open();
        publish("t", "1");
        publish("t", "2");
        Map<String, Object> sub =
                exchange("{\"action\":\"subscribe\",\"topic\":\"t\",\"offset\":1,\"epoch\":\"other\"}");
        assertEquals(false, sub.get("recovered"));
        assertEquals(1L, nextJson().get("offset"));
        assertEquals(2L, nextJson().get("offset"));
        assertNoMoreOutput();
    }

    @Test
    void lastNReplaysTheNewestMessages() {
        open();
        for (int i = 1; i <= 10; i++) {
            publish("t", Integer.toString(i));
        }
        Map<String, Object> sub = exchange("{\"action\":\"subscribe\",\"topic\":\"t\",\"last\":3}");
        assertEquals(true, sub.get("recovered"));
        assertEquals(10L, sub.get("offset"));
        assertEquals(8L, nextJson().get("offset"));
        assertEquals(9L, nextJson().get("offset"));
        assertEquals(10L, nextJson().get("offset"));
        assertNoMoreOutput();
    }

    @Test
    void everyRefusedCommandGetsAnErrorAndTheConnectionStaysOpen() {
        open(b -> b.maxSubscriptionsPerConnection(2));
        assertError(exchange("{not json"), "invalid_json");
        assertError(exchange("[1,2]"), "invalid_json");
        assertError(exchange("{\"topic\":\"t\"}"), "missing_field");
        assertError(exchange("{\"action\":\"launch\"}"), "unknown_action");
        assertError(exchange("{\"action\":\"subscribe\"}"), "missing_field");
        assertError(exchange("{\"action\":\"subscribe\",\"topic\":\"bad topic\"}"), "invalid_topic");
        assertError(exchange("{\"action\":\"subscribe\",\"topic\":\"a.>.b\"}"), "invalid_topic");
        assertError(exchange("{\"action\":\"subscribe\",\"topic\":7}"), "invalid_topic");
        assertError(exchange("{\"action\":\"subscribe\",\"topic\":\"t\",\"offset\":3}"), "invalid_position");
        assertError(exchange("{\"action\":\"subscribe\",\"topic\":\"t\",\"offset\":3,\"epoch\":\"e\",\"last\":2}"),
                "invalid_position");
        assertError(exchange("{\"action\":\"subscribe\",\"topic\":\"t.*\",\"last\":2}"), "invalid_position");
        String epoch = publish("q", "1").epoch();
        assertError(exchange("{\"action\":\"subscribe\",\"topic\":\"q\",\"offset\":3,\"epoch\":\"" + epoch + "\"}"),
                "invalid_position");
        assertError(exchange("{\"action\":\"unsubscribe\",\"topic\":\"t\"}"), "not_subscribed");
        assertError(exchange("{\"action\":\"unsubscribe\"}"), "missing_field");
        assertError(exchange("{\"action\":\"publish\",\"data\":1}"), "missing_field");
        assertError(exchange("{\"action\":\"publish\",\"topic\":\"t\"}"), "missing_field");
        assertError(exchange("{\"action\":\"publish\",\"topic\":\"t.*\",\"data\":1}"), "invalid_topic");
        ch.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2})));
        assertError(nextJson(), "unsupported_frame");

        exchange("{\"action\":\"subscribe\",\"topic\":\"a\"}");
        assertEquals("subscribed", exchange("{\"action\":\"subscribe\",\"topic\":\"a\"}").get("type"),
                "a plain repeated subscribe is idempotent");
        assertError(exchange("{\"action\":\"subscribe\",\"topic\":\"a\",\"last\":1}"), "already_subscribed");
        exchange("{\"action\":\"subscribe\",\"topic\":\"b\"}");
        assertError(exchange("{\"action\":\"subscribe\",\"topic\":\"c\"}"), "too_many_subscriptions");
        assertEquals(2, broker.stats().subscriptions());
        assertEquals(20, metrics.errorsSent());
        assertEquals(0, metrics.slowConsumersDisconnected());
        assertNoMoreOutput();
    }

    @Test
    void aRunOfRefusedCommandsClosesWith1008() {
        open();
        for (int i = 1; i < WebSocketSessionHandler.MAX_CONSECUTIVE_ERRORS; i++) {
            assertError(exchange("{}"), "missing_field");
        }
        exchange("{\"action\":\"ping\"}");
        for (int i = 1; i < WebSocketSessionHandler.MAX_CONSECUTIVE_ERRORS; i++) {
            assertError(exchange("{}"), "missing_field");
        }
        send("{}");
        assertEquals("missing_field", nextJson().get("code"));
        CloseWebSocketFrame close = closeFrame();
        try {
            assertEquals(1008, close.statusCode());
        } finally {
            close.release();
        }
    }

    @Test
    void slowConsumerIsDisconnectedWith1013AndLeavesNoSubscription() {
        open(b -> b.outboundQueueLimit(3));
        exchange("{\"action\":\"subscribe\",\"topic\":\"t\"}");
        exchange("{\"action\":\"subscribe\",\"topic\":\"u\"}");
        clientStopsReading();
        for (int i = 0; i < 10; i++) {
            publish("t", Integer.toString(i));
        }
        CloseWebSocketFrame close = closeFrame();
        try {
            assertEquals(1013, close.statusCode());
            assertEquals("slow consumer", close.reasonText());
        } finally {
            close.release();
        }
        assertEquals(1, metrics.slowConsumersDisconnected());
        assertEquals(0, broker.stats().subscriptions());
    }

    @Test
    void dropPolicyDropsThenReportsTheGapBeforeLaterMessages() {
        open(b -> b.outboundQueueLimit(3).slowConsumerPolicy(SlowConsumerPolicy.DROP));
        exchange("{\"action\":\"subscribe\",\"topic\":\"t\"}");
        exchange("{\"action\":\"subscribe\",\"topic\":\"u\"}");
        clientStopsReading();
        for (int i = 1; i <= 10; i++) {
            publish("t", Integer.toString(i));
        }
        publish("u", "1");
        publish("u", "2");
        clientReadsAgain();
        assertEquals(1L, nextJson().get("offset"));
        assertEquals(2L, nextJson().get("offset"));
        assertEquals(3L, nextJson().get("offset"));
        assertEquals(Map.of("type", "gap", "topic", "t", "fromOffset", 4L, "toOffset", 10L), nextJson());
        assertEquals(Map.of("type", "gap", "topic", "u", "fromOffset", 1L, "toOffset", 2L), nextJson());
        publish("t", "11");
        Map<String, Object> after = nextJson();
        assertEquals("t", after.get("topic"));
        assertEquals(11L, after.get("offset"));
        assertNoMoreOutput();
        assertEquals(2, metrics.gapsSent());
        assertTrue(ch.isActive());
        // What the gaps cover is dropped, not delivered: 4..10 of t and 1..2 of u.
        assertEquals(9, broker.stats().dropped());
        assertEquals(4, broker.stats().delivered());
    }

    @Test
    void burstPastTheLimitToAClientThatKeepsReadingIsNotASlowConsumer() {
        open(b -> b.outboundQueueLimit(3));
        exchange("{\"action\":\"subscribe\",\"topic\":\"t\"}");
        int burst = 3 * OutboundQueue.BURST_ALLOWANCE;
        for (int i = 1; i <= burst; i++) {
            publish("t", Integer.toString(i));
        }
        for (long offset = 1; offset <= burst; offset++) {
            assertEquals(offset, nextJson().get("offset"));
        }
        assertNoMoreOutput();
        assertTrue(ch.isActive());
        assertEquals(0, metrics.slowConsumersDisconnected());
    }

    @Test
    void burstPastTheAllowanceIsASlowConsumerEvenWhileTheSocketTakesData() {
        open(b -> b.outboundQueueLimit(3));
        exchange("{\"action\":\"subscribe\",\"topic\":\"t\"}");
        for (int i = 1; i <= 3 * OutboundQueue.BURST_ALLOWANCE + 1; i++) {
            publish("t", Integer.toString(i));
        }
        CloseWebSocketFrame close = closeFrame();
        try {
            assertEquals(1013, close.statusCode());
        } finally {
            close.release();
        }
        assertEquals(1, metrics.slowConsumersDisconnected());
    }

    /** Makes the channel unwritable, as a full socket buffer does when the client stops reading. */
    private void clientStopsReading() {
        ch.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        assertFalse(ch.isWritable());
    }

    private void clientReadsAgain() {
        ch.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
        ch.runPendingTasks();
    }

    @Test
    void replayLargerThanTheQueueLimitIsNotASlowConsumer() {
        open(b -> b.outboundQueueLimit(2));
        for (int i = 1; i <= 20; i++) {
            publish("t", Integer.toString(i));
        }
        assertEquals("subscribed", exchange("{\"action\":\"subscribe\",\"topic\":\"t\",\"last\":20}").get("type"));
        for (long offset = 1; offset <= 20; offset++) {
            assertEquals(offset, nextJson().get("offset"));
        }
        assertNoMoreOutput();
        assertTrue(ch.isActive());
        assertEquals(0, metrics.slowConsumersDisconnected());
    }

    @Test
    void tooLongFragmentedMessageClosesWith1009() {
        open(b -> b.maxFrameBytes(1024));
        ch.writeInbound(new TextWebSocketFrame(false, 0, "{\"action\":\"publish\",\"data\":\"" + "x".repeat(800)));
        ch.writeInbound(new ContinuationWebSocketFrame(true, 0, "y".repeat(800) + "\"}"));
        CloseWebSocketFrame close = closeFrame();
        try {
            assertEquals(1009, close.statusCode());
        } finally {
            close.release();
        }
    }

    @Test
    void fragmentedCommandWithinTheLimitIsReassembled() {
        open();
        ch.writeInbound(new TextWebSocketFrame(false, 0, "{\"action\":"));
        ch.writeInbound(new ContinuationWebSocketFrame(true, 0, "\"ping\"}"));
        assertEquals(Map.of("type", "pong"), nextJson());
    }

    private void advanceMillis(long millis) {
        ch.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        ch.runPendingTasks();
    }

    /** Reads what the server wrote: counts pings, returns the close frame's status or -1, fails on anything else. */
    private int pingsThenClose(int[] pings) {
        int status = -1;
        Object out;
        while ((out = ch.readOutbound()) != null) {
            try {
                if (out instanceof PingWebSocketFrame) {
                    pings[0]++;
                } else if (out instanceof CloseWebSocketFrame close) {
                    status = close.statusCode();
                } else {
                    throw new AssertionError("unexpected " + out);
                }
            } finally {
                ReferenceCountUtil.release(out);
            }
        }
        return status;
    }

    @Test
    void heartbeatPingsASilentClientAndTheIdleTimeoutClosesItWith1001() {
        open(b -> b.heartbeatInterval(Duration.ofMillis(100)).idleTimeout(Duration.ofMillis(350)));
        ch.freezeTime();
        int[] pings = new int[1];
        advanceMillis(120);
        assertEquals(-1, pingsThenClose(pings));
        assertEquals(1, pings[0], "a ping after one silent heartbeat interval");

        ch.writeInbound(new PongWebSocketFrame());
        advanceMillis(300);
        assertEquals(-1, pingsThenClose(pings), "300 ms after the pong the client is not idle yet");
        assertEquals(2, pings[0]);
        assertTrue(ch.isActive());

        advanceMillis(100);
        assertEquals(1001, pingsThenClose(pings), "400 ms of silence pass the 350 ms idle timeout");
    }

    @Test
    void commandsCountAsActivity() {
        open(b -> b.heartbeatInterval(Duration.ofMillis(100)).idleTimeout(Duration.ofMillis(350)));
        ch.freezeTime();
        for (int i = 0; i < 10; i++) {
            advanceMillis(90);
            assertEquals(Map.of("type", "pong"), exchange("{\"action\":\"ping\"}"));
        }
        assertNoMoreOutput();
        assertTrue(ch.isActive());
    }

    @Test
    void closingTheChannelClosesEverySubscription() {
        open();
        exchange("{\"action\":\"subscribe\",\"topic\":\"a\"}");
        exchange("{\"action\":\"subscribe\",\"topic\":\"b.*\"}");
        assertEquals(2, broker.stats().subscriptions());
        ch.close();
        assertEquals(0, broker.stats().subscriptions());
        assertEquals(0, metrics.websocketSessionsOpen());
        publish("a", "1");
        releaseAll();
    }

    @Test
    void shutdownEventStopsDeliveryWithoutASecondCloseFrame() {
        open();
        exchange("{\"action\":\"subscribe\",\"topic\":\"a\"}");
        ch.pipeline().fireUserEventTriggered(ServerShutdownEvent.INSTANCE);
        assertEquals(0, broker.stats().subscriptions());
        publish("a", "1");
        assertNoMoreOutput();
    }

    @Test
    void brokerCloseClosesTheSessionWith1001() {
        open();
        exchange("{\"action\":\"subscribe\",\"topic\":\"a\"}");
        broker.close();
        CloseWebSocketFrame close = closeFrame();
        try {
            assertEquals(1001, close.statusCode());
        } finally {
            close.release();
        }
    }
}
