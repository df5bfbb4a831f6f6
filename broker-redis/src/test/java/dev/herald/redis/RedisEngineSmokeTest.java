package dev.herald.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.Broker;
import dev.herald.core.History;
import dev.herald.core.HistoryQuery;
import dev.herald.core.Message;
import dev.herald.core.PublishResult;
import dev.herald.core.StreamPosition;
import dev.herald.core.SubscribeOptions;
import dev.herald.core.policy.HistoryPolicy;
import dev.herald.redis.testing.RedisAvailability;
import dev.herald.redis.testing.RedisServer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class RedisEngineSmokeTest {
    private static RedisServer redis;

    @BeforeAll
    static void startRedis() {
        RedisAvailability.assumeRedisInstalled();
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    private static Broker<String> node(String name) {
        return Broker.<String>builder().history(HistoryPolicy.lastN(100))
                .engine(RedisEngine.builder(PayloadCodec.utf8()).uri(redis.uri()).nodeId(name).build()).build();
    }

    @Test
    void aMessagePublishedOnOneNodeReachesSubscribersOnAnother() throws Exception {
        try (Broker<String> a = node("a"); Broker<String> b = node("b")) {
            List<Message<String>> got = new CopyOnWriteArrayList<>();
            b.subscribe("smoke.one", got::add);
            PublishResult result = a.publish("smoke.one", "hello").toCompletableFuture().get(5, TimeUnit.SECONDS);
            PublishResult.Accepted accepted = (PublishResult.Accepted) result;
            assertEquals(1, accepted.offset());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (got.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(1, got.size());
            assertEquals("hello", got.get(0).data());
            assertEquals(accepted.id(), got.get(0).id());
            History<String> history = b.history("smoke.one", HistoryQuery.all()).toCompletableFuture().get();
            assertEquals(1, history.messages().size());
            assertEquals(accepted.epoch(), history.position().epoch());

            a.publishAll("smoke.one", List.of("x", "y", "z")).toCompletableFuture().get();
            List<Message<String>> resumed = new CopyOnWriteArrayList<>();
            a.subscribe("smoke.one", SubscribeOptions.from(new StreamPosition(2, accepted.epoch())), resumed::add);
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while ((got.size() < 4 || resumed.size() < 2) && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(List.of("hello", "x", "y", "z"), got.stream().map(Message::data).toList());
            assertEquals(List.of(3L, 4L), resumed.stream().map(Message::offset).toList());
            assertTrue(b.topicStats("smoke.one").isPresent());
        }
    }
}
