package dev.herald.netty;

import static dev.herald.netty.HttpApiIntegrationTest.assertError;
import static dev.herald.netty.HttpApiIntegrationTest.get;
import static dev.herald.netty.HttpApiIntegrationTest.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.herald.core.Broker;
import dev.herald.core.policy.HistoryPolicy;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A topic whose history ages out is forgotten and starts over at offset 1 under a new epoch; an HTTP client that
 * publishes or polls history is told through the epoch, and a poller that names its epoch misses nothing.
 */
@ExtendWith(NettyLeakDetectorExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HistoryEpochTest {
    private final Broker<RawJson> broker = Broker.<RawJson>builder()
            .history(HistoryPolicy.maxAge(Duration.ofMillis(200))).payloadWeigher(RawJson::size).build();
    private final HeraldServer server = HeraldServer.builder().broker(broker)
            .config(HeraldServerConfig.builder().host("127.0.0.1").port(0).shutdownTimeout(Duration.ofSeconds(2))
                    .build())
            .build().start();

    @AfterEach
    void stop() {
        server.close();
        broker.close();
    }

    private Map<String, Object> publish(String data) {
        HttpResponse<String> r = post(server, "/publish", "application/json",
                "{\"topic\":\"poll.t\",\"data\":" + data + "}");
        assertEquals(200, r.statusCode(), r.body());
        return TestJson.object(r.body());
    }

    private static String header(HttpResponse<String> r, String name) {
        return r.headers().firstValue(name).orElseThrow(() -> new AssertionError("no " + name + ": " + r.headers()));
    }

    @Test
    void publishRepliesAndHistoryCarryTheEpochAcrossARestartOfTheTopic() throws InterruptedException {
        String first = null;
        for (int i = 1; i <= 3; i++) {
            Map<String, Object> reply = publish(Integer.toString(i));
            assertEquals((long) i, reply.get("offset"));
            String epoch = (String) reply.get("epoch");
            assertFalse(epoch.isEmpty());
            if (first == null) {
                first = epoch;
            }
            assertEquals(first, epoch, "one epoch while the topic retains messages");
        }
        HttpResponse<String> page = get(server, "/topics/poll.t/history?since=1");
        assertEquals(2, TestJson.array(page.body()).size());
        assertEquals(first, header(page, "Herald-Epoch"));
        assertEquals("3", header(page, "Herald-Last-Offset"));
        assertEquals("1", header(page, "Herald-Oldest-Offset"));

        // Once every message has aged out and nobody listens, the topic is forgotten.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        HttpResponse<String> empty;
        do {
            Thread.sleep(50);
            empty = get(server, "/topics/poll.t/history");
        } while (!header(empty, "Herald-Epoch").isEmpty() && System.nanoTime() < deadline);
        assertEquals("", header(empty, "Herald-Epoch"), "the topic is gone once its history is empty");
        assertEquals("0", header(empty, "Herald-Last-Offset"));

        Map<String, Object> again = publish("\"again\"");
        assertEquals(1L, again.get("offset"), "it starts over at 1");
        String second = (String) again.get("epoch");
        assertNotEquals(first, second, "under a new epoch, which the publish reply carries");

        // A poller that only sends since=3 gets nothing, but the headers tell it the epoch changed.
        HttpResponse<String> blind = get(server, "/topics/poll.t/history?since=3");
        assertEquals(List.of(), TestJson.array(blind.body()));
        assertEquals(second, header(blind, "Herald-Epoch"));
        assertEquals("1", header(blind, "Herald-Last-Offset"));
        // A poller that names its epoch is given the new epoch from its oldest message.
        HttpResponse<String> told = get(server, "/topics/poll.t/history?since=3&epoch=" + first);
        List<Object> messages = TestJson.array(told.body());
        assertEquals(1, messages.size(), told.body());
        assertEquals("again", ((Map<?, ?>) messages.get(0)).get("data"));
        assertEquals(second, header(told, "Herald-Epoch"));
        // In its own epoch, since counts as usual.
        assertEquals(List.of(), TestJson.array(get(server, "/topics/poll.t/history?since=1&epoch=" + second).body()));
        assertError(get(server, "/topics/poll.t/history?epoch=" + "e".repeat(129)), 400, "invalid_parameter");
    }
}
