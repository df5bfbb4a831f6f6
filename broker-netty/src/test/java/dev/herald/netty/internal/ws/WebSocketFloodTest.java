package dev.herald.netty.internal.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.Broker;
import dev.herald.core.policy.HistoryPolicy;
import dev.herald.netty.HeraldServer;
import dev.herald.netty.HeraldServerConfig;
import dev.herald.netty.NettyLeakDetectorExtension;
import dev.herald.netty.RateLimit;
import dev.herald.netty.RawJson;
import dev.herald.netty.internal.ConnectionLimits;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A WebSocket client that floods commands over loopback gets {@code rate_limited} errors and then close 1008,
 * while another connection of the same server is served as usual. Bounded loops; no timing asserted.
 */
@ExtendWith(NettyLeakDetectorExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class WebSocketFloodTest {
    private final Broker<RawJson> broker = Broker.<RawJson>builder().history(HistoryPolicy.lastN(100)).build();
    private final List<JdkClient> clients = new ArrayList<>();
    private HeraldServer server;

    @AfterEach
    void tearDown() {
        for (JdkClient client : clients) {
            try {
                client.close();
            } catch (RuntimeException ignored) {
                // already closed by the server
            }
        }
        if (server != null) {
            server.close();
        }
        broker.close();
    }

    private JdkClient connect() {
        JdkClient client = JdkClient.connect(server.port());
        clients.add(client);
        return client;
    }

    @Test
    void aCommandFloodGetsRateLimitedErrorsThenClose1008WhileAnotherConnectionIsUnaffected() throws Exception {
        server = HeraldServer.builder().broker(broker).config(HeraldServerConfig.builder().host("127.0.0.1").port(0)
                .requestRateLimit(RateLimit.perSecond(10, 20)).build()).build().start();
        JdkClient calm = connect();
        assertEquals("subscribed", calm.exchange("{\"action\":\"subscribe\",\"topic\":\"calm\"}").get("type"));
        JdkClient flooder = connect();

        // The calm client pings a few times a second, well within its own rate, during the whole flood.
        AtomicReference<String> calmFailure = new AtomicReference<>();
        Thread calmLoop = new Thread(() -> {
            try {
                for (int i = 0; i < 20; i++) {
                    Map<String, Object> pong = calm.exchange("{\"action\":\"ping\",\"id\":" + i + "}");
                    if (!"pong".equals(pong.get("type")) || !Long.valueOf(i).equals(pong.get("id"))) {
                        calmFailure.set("ping " + i + " got " + pong);
                        return;
                    }
                    Thread.sleep(100);
                }
            } catch (InterruptedException | RuntimeException | AssertionError e) {
                calmFailure.set(e.toString());
            }
        }, "calm-client");
        calmLoop.start();

        int sent = 0;
        try {
            for (; sent < 2000 && !flooder.closeStatus.isDone(); sent++) {
                flooder.send("{\"action\":\"ping\",\"id\":" + sent + "}");
            }
        } catch (RuntimeException closed) {
            // the server closed the connection while we were still sending: that is the point
        }
        assertEquals(1008, flooder.awaitClose(30), "closed for going on past its limits");

        int pongs = 0;
        int limited = 0;
        String message;
        while ((message = flooder.received.poll(1, TimeUnit.SECONDS)) != null) {
            Map<String, Object> frame = TestJson.object(message);
            if ("pong".equals(frame.get("type"))) {
                pongs++; // the burst, and a token now and then as the bucket refills during the flood
            } else {
                assertEquals("error", frame.get("type"), message);
                assertEquals("rate_limited", frame.get("code"), message);
                assertTrue(frame.get("retryAfterMs") instanceof Long ms && ms > 0, message);
                assertTrue(frame.get("id") instanceof Long, "the refused command's id is echoed: " + message);
                limited++;
            }
        }
        assertTrue(pongs >= 19, "the burst of 20, less the upgrade request's token, was answered: " + pongs);
        assertTrue(limited >= ConnectionLimits.REFUSALS_BURST + 1,
                limited + " refusals; the connection is closed at the refusal after the 50th");
        assertTrue(pongs + limited <= sent, "one answer at most per command sent");

        calmLoop.join(30_000);
        assertEquals(null, calmFailure.get(), "the calm connection was served throughout");
        broker.publish("calm", RawJson.of("\"still here\"")).toCompletableFuture().join();
        Map<String, Object> delivered = calm.nextJson();
        assertEquals("still here", delivered.get("data"));
        assertFalse(calm.closeStatus.isDone(), "the calm connection stays open");
    }
}
