package dev.herald.netty.internal.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.Broker;
import dev.herald.core.PublishResult;
import dev.herald.core.policy.HistoryPolicy;
import dev.herald.netty.HeraldServer;
import dev.herald.netty.HeraldServerConfig;
import dev.herald.netty.NettyLeakDetectorExtension;
import dev.herald.netty.RateLimit;
import dev.herald.netty.RawJson;
import dev.herald.netty.SlowConsumerPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The WebSocket protocol end to end: a real server on 127.0.0.1, JDK and Netty clients over loopback. */
@ExtendWith(NettyLeakDetectorExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WebSocketServerTest {
    private static final String PAD = "x".repeat(1000);

    private final Broker<RawJson> broker = Broker.<RawJson>builder().history(HistoryPolicy.lastN(50_000)).build();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private HeraldServer server;

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable resource : resources) {
            try {
                resource.close();
            } catch (RuntimeException ignored) {
                // already closed by the test
            }
        }
        if (server != null) {
            server.close();
        }
        broker.close();
    }

    private int start(UnaryOperator<HeraldServerConfig.Builder> settings) {
        HeraldServerConfig config = settings.apply(HeraldServerConfig.builder().host("127.0.0.1").port(0)).build();
        server = HeraldServer.builder().config(config).broker(broker).build().start();
        return server.port();
    }

    private JdkClient jdk(int port) {
        JdkClient client = JdkClient.connect(port);
        resources.add(client);
        return client;
    }

    private NettyClient netty(int port) throws InterruptedException {
        NettyClient client = NettyClient.connect(port);
        resources.add(client);
        return client;
    }

    private PublishResult.Accepted publish(String topic, String json) {
        return (PublishResult.Accepted) broker.publish(topic, RawJson.of(json)).toCompletableFuture().join();
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    @Test
    void everyActionOverTheNetwork() throws Exception {
        int port = start(b -> b);
        JdkClient client = jdk(port);
        Map<String, Object> subscribed = client.exchange("{\"action\":\"subscribe\",\"topic\":\"news\"}");
        assertEquals("subscribed", subscribed.get("type"));
        assertEquals("news", subscribed.get("topic"));

        Map<String, Object> published = client.exchange(
                "{\"action\":\"publish\",\"id\":1,\"topic\":\"news\",\"data\":{\"headline\":\"hi\"}}");
        assertEquals("published", published.get("type"));
        assertEquals(1L, published.get("id"));
        Map<String, Object> message = client.nextJson();
        assertEquals(published.get("messageId"), message.get("id"));
        assertEquals(Map.of("headline", "hi"), message.get("data"));
        assertFalse(message.containsKey("type"));

        assertEquals(Map.of("type", "pong", "id", "p"), client.exchange("{\"action\":\"ping\",\"id\":\"p\"}"));
        assertEquals("invalid_json", client.exchange("{oops").get("code"));
        assertEquals("unknown_action", client.exchange("{\"action\":\"dance\"}").get("code"));
        assertEquals("not_subscribed", client.exchange("{\"action\":\"unsubscribe\",\"topic\":\"x\"}").get("code"));
        assertEquals(Map.of("type", "unsubscribed", "topic", "news"),
                client.exchange("{\"action\":\"unsubscribe\",\"topic\":\"news\"}"));
        await(() -> broker.stats().subscriptions() == 0, "the subscription to close");

        client.exchange("{\"action\":\"subscribe\",\"topic\":\"news\"}");
        assertEquals(1, broker.stats().subscriptions());
        client.close();
        await(() -> broker.stats().subscriptions() == 0, "the closed connection's subscription to close");
    }

    @Test
    void wildcardSubscribeAndLastN() throws Exception {
        int port = start(b -> b);
        for (int i = 1; i <= 5; i++) {
            publish("t", Integer.toString(i));
        }
        JdkClient client = jdk(port);
        Map<String, Object> sub = client.exchange("{\"action\":\"subscribe\",\"topic\":\"t\",\"last\":2}");
        assertEquals(true, sub.get("recovered"));
        assertEquals(4L, client.nextJson().get("offset"));
        assertEquals(5L, client.nextJson().get("offset"));

        client.exchange("{\"action\":\"subscribe\",\"topic\":\"orders.*\"}");
        publish("orders.eu", "\"eu\"");
        publish("other", "0");
        publish("orders.us", "\"us\"");
        assertEquals("orders.eu", client.nextJson().get("topic"));
        assertEquals("orders.us", client.nextJson().get("topic"));
        assertNull(client.received.poll(100, TimeUnit.MILLISECONDS));
    }

    @Test
    void resumeAfterReconnectHasNoGapAndNoDuplicateWhilePublishesRace() throws Exception {
        // The in-process publisher outruns any network client; the queue holds the whole run so that this test is
        // about the resume seam, not about slow consumers.
        int port = start(b -> b.outboundQueueLimit(5000));
        int total = 3000;
        publish("r", "0");
        Thread publisher = new Thread(() -> {
            for (int i = 1; i < total; i++) {
                publish("r", Integer.toString(i));
            }
        });
        JdkClient first = jdk(port);
        Map<String, Object> sub = first.exchange("{\"action\":\"subscribe\",\"topic\":\"r\",\"last\":1}");
        String epoch = (String) sub.get("epoch");
        publisher.start();
        long lastSeen = 0;
        while (lastSeen < 500) {
            long offset = (Long) first.nextJson().get("offset");
            assertTrue(offset == lastSeen + 1 || lastSeen == 0, "in order without gaps: " + lastSeen + " -> " + offset);
            lastSeen = offset;
        }
        first.abort();

        JdkClient second = jdk(port);
        Map<String, Object> resumed = second.exchange("{\"action\":\"subscribe\",\"topic\":\"r\",\"offset\":" + lastSeen
                + ",\"epoch\":\"" + epoch + "\"}");
        assertEquals("subscribed", resumed.get("type"));
        assertEquals(true, resumed.get("recovered"));
        for (long expected = lastSeen + 1; expected <= total; expected++) {
            Map<String, Object> message = second.nextJson();
            assertEquals(expected, message.get("offset"), "no gap, no duplicate at the seam");
        }
        publisher.join(10_000);
        assertNull(second.received.poll(100, TimeUnit.MILLISECONDS));
    }

    @Test
    void heartbeatPingsKeepAnAnsweringClientAndTheIdleTimeoutClosesASilentOne() throws Exception {
        int port = start(b -> b.heartbeatInterval(Duration.ofMillis(100)).idleTimeout(Duration.ofMillis(600)));
        JdkClient answering = jdk(port);
        NettyClient silent = netty(port);
        assertEquals(1001, silent.closeStatus.orTimeout(10, TimeUnit.SECONDS).join(), "idle timeout closes with 1001");
        assertTrue(silent.pings.get() >= 2, "pings were sent: " + silent.pings.get());
        assertTrue(silent.awaitClosed(10));
        await(() -> answering.pings.get() >= 10, "ten pings to the answering client");
        assertFalse(answering.closeStatus.isDone(), "a client that answers pings stays connected");
        assertEquals("pong", answering.exchange("{\"action\":\"ping\"}").get("type"));
    }

    @Test
    void serverShutdownClosesEverySessionWith1001AndEverySubscription() throws Exception {
        int port = start(b -> b.shutdownTimeout(Duration.ofSeconds(5)));
        JdkClient a = jdk(port);
        JdkClient b = jdk(port);
        a.exchange("{\"action\":\"subscribe\",\"topic\":\"x\"}");
        b.exchange("{\"action\":\"subscribe\",\"topic\":\"y.>\"}");
        assertEquals(2, broker.stats().subscriptions());
        server.close();
        assertEquals(1001, a.awaitClose(10));
        assertEquals(1001, b.awaitClose(10));
        assertEquals(0, broker.stats().subscriptions());
        assertTrue(broker.isOpen(), "a broker supplied by the application stays open");
    }

    @Test
    void tooLargeFrameClosesWith1009() throws Exception {
        int port = start(b -> b.maxFrameBytes(1024));
        JdkClient client = jdk(port);
        assertEquals("pong", client.exchange("{\"action\":\"ping\",\"pad\":\"" + "y".repeat(900) + "\"}").get("type"));
        client.send("{\"action\":\"ping\",\"pad\":\"" + "y".repeat(2000) + "\"}");
        assertEquals(1009, client.awaitClose(10));
    }

    @Test
    void slowConsumerIsDisconnectedWith1013WhileOthersReceiveEverything() throws Exception {
        int port = start(b -> b.outboundQueueLimit(256).writeBufferLowWaterMark(16 * 1024)
                .writeBufferHighWaterMark(32 * 1024));
        NettyClient slow = netty(port);
        slow.send("{\"action\":\"subscribe\",\"topic\":\"s\"}");
        assertEquals("subscribed", slow.nextJson().get("type"));
        slow.setAutoRead(false);
        JdkClient fast = jdk(port);
        fast.exchange("{\"action\":\"subscribe\",\"topic\":\"s\"}");
        assertEquals(2, broker.stats().subscriptions());

        // Published at the pace the fast client reads, so only the stalled client falls behind. As soon as it is
        // dropped it reads again, to see the close frame the server sends it (the server waits a few seconds).
        int limit = 40_000;
        int total = 0;
        long expected = 1;
        boolean dropped = false;
        // Until the stalled client is dropped, then a little longer to show the fast one is unaffected.
        for (int i = 1; i <= limit && total == 0; i++) {
            publish("s", "{\"n\":" + i + ",\"pad\":\"" + PAD + "\"}");
            if (i % 100 == 0) {
                for (; expected <= i; expected++) {
                    assertEquals(expected, fast.nextJson().get("offset"), "the fast client gets everything in order");
                }
                if (!dropped && broker.stats().subscriptions() == 1) {
                    dropped = true;
                    slow.setAutoRead(true);
                    limit = Math.min(limit, i + 1000);
                }
                if (i == limit) {
                    total = i;
                }
            }
        }
        assertTrue(dropped, "the stalled client was dropped as a slow consumer");
        assertEquals(1013, slow.closeStatus.orTimeout(10, TimeUnit.SECONDS).join());
        assertTrue(slow.awaitClosed(10));
        assertTrue(slow.textFrames.get() < total, "the slow client did not get everything");
        assertFalse(fast.closeStatus.isDone());
        assertEquals(1, broker.stats().subscriptions());
    }

    @Test
    void dropPolicyReportsEveryLossAsAGapWhileTopicsArePublishedConcurrently() throws Exception {
        int port = start(b -> b.outboundQueueLimit(64).slowConsumerPolicy(SlowConsumerPolicy.DROP)
                .writeBufferLowWaterMark(8 * 1024).writeBufferHighWaterMark(16 * 1024));
        NettyClient slow = netty(port);
        slow.send("{\"action\":\"subscribe\",\"topic\":\"d.*\"}");
        assertEquals("subscribed", slow.nextJson().get("type"));
        slow.setAutoRead(false);
        int topics = 4;
        int perTopic = 5000;
        List<Thread> publishers = new ArrayList<>();
        for (int t = 0; t < topics; t++) {
            String topic = "d.t" + t;
            Thread thread = new Thread(() -> {
                for (int i = 1; i <= perTopic; i++) {
                    publish(topic, "{\"n\":" + i + ",\"pad\":\"" + PAD + "\"}");
                }
            });
            publishers.add(thread);
            thread.start();
        }
        for (Thread thread : publishers) {
            thread.join(20_000);
        }
        slow.setAutoRead(true);
        long[] next = new long[topics];
        java.util.Arrays.fill(next, 1);
        int gaps = 0;
        long skipped = 0;
        long received = 0;
        int complete = 0;
        while (complete < topics) {
            Map<String, Object> frame = slow.nextJson();
            String topic = (String) frame.get("topic");
            int t = topic.charAt(topic.length() - 1) - '0';
            assertTrue(next[t] <= perTopic, "nothing after the last message of " + topic + ": " + frame);
            if ("gap".equals(frame.get("type"))) {
                assertEquals(next[t], frame.get("fromOffset"), "a gap starts where delivery of its topic stopped");
                next[t] = (Long) frame.get("toOffset") + 1;
                skipped += (Long) frame.get("toOffset") - (Long) frame.get("fromOffset") + 1;
                gaps++;
            } else {
                assertEquals(next[t], frame.get("offset"), "every message is either delivered or inside a gap");
                next[t]++;
                received++;
            }
            if (next[t] == perTopic + 1) {
                complete++;
            }
        }
        assertTrue(gaps >= 1, "the stalled client lost messages, and was told");
        assertNull(slow.received.poll(100, TimeUnit.MILLISECONDS), "nothing beyond the published offsets");
        assertFalse(slow.closeStatus.isDone(), "DROP keeps the connection open");
        assertEquals(1, broker.stats().subscriptions());
        assertEquals(skipped, broker.stats().dropped(), "every skipped message is counted as dropped");
        assertEquals(received, broker.stats().delivered(), "and only the messages written count as delivered");
    }

    @Test
    void manyClientsManyMessagesNoLossNoDuplicatePerTopicOrder() throws Exception {
        // The publishers are in-process loops, far faster than any network client: each connection's queue must
        // hold a whole burst (4 x 500 messages) or the connection would rightly count as a slow consumer. The
        // WebSocket publisher sends its 500 at once, past the default publish rate: this is a load test, limits off.
        int port = start(b -> b.outboundQueueLimit(2000).requestRateLimit(RateLimit.off())
                .publishRateLimit(RateLimit.off()));
        int clients = 20;
        int topics = 4;
        int perTopic = 500;
        List<JdkClient> all = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            JdkClient client = jdk(port);
            if (c % 2 == 0) {
                assertEquals("subscribed", client.exchange("{\"action\":\"subscribe\",\"topic\":\"load.*\"}").get("type"));
            } else {
                for (int t = 0; t < topics; t++) {
                    assertEquals("subscribed",
                            client.exchange("{\"action\":\"subscribe\",\"topic\":\"load.t" + t + "\"}").get("type"));
                }
            }
            all.add(client);
        }
        // One topic is published over WebSocket by a client, the others in-process from their own threads.
        JdkClient wsPublisher = jdk(port);
        List<Thread> publishers = new ArrayList<>();
        AtomicLong publishedOverWs = new AtomicLong();
        for (int t = 0; t < topics; t++) {
            String topic = "load.t" + t;
            boolean overWebSocket = t == 0;
            Thread thread = new Thread(() -> {
                for (int i = 1; i <= perTopic; i++) {
                    if (overWebSocket) {
                        wsPublisher.send("{\"action\":\"publish\",\"topic\":\"" + topic + "\",\"data\":" + i + "}");
                        publishedOverWs.incrementAndGet();
                    } else {
                        publish(topic, Integer.toString(i));
                    }
                }
            });
            publishers.add(thread);
            thread.start();
        }
        for (JdkClient client : all) {
            long[] nextOffset = new long[topics];
            java.util.Arrays.fill(nextOffset, 1);
            for (int received = 0; received < topics * perTopic; received++) {
                Map<String, Object> message = client.nextJson();
                String topic = (String) message.get("topic");
                int t = topic.charAt(topic.length() - 1) - '0';
                assertEquals(nextOffset[t], message.get("offset"), "per-topic order, no loss, no duplicate");
                assertEquals(nextOffset[t], message.get("data"));
                nextOffset[t]++;
            }
            assertNull(client.received.poll(20, TimeUnit.MILLISECONDS), "nothing beyond the published messages");
        }
        for (Thread thread : publishers) {
            thread.join(10_000);
        }
        for (int i = 0; i < perTopic; i++) {
            assertEquals("published", wsPublisher.nextJson().get("type"));
        }
        assertEquals(perTopic, publishedOverWs.get());
        for (JdkClient client : all) {
            client.close();
        }
        wsPublisher.close();
        await(() -> broker.stats().subscriptions() == 0, "every subscription to close with its connection");
    }
}
