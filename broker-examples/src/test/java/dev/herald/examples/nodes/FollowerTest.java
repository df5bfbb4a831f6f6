package dev.herald.examples.nodes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.herald.core.PublishResult;
import dev.herald.netty.RawJson;
import dev.herald.redis.testing.RedisAvailability;
import dev.herald.redis.testing.RedisServer;
import dev.herald.server.HeraldMain;
import dev.herald.server.StandaloneServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FollowerTest {
    private static final Pattern MESSAGE = Pattern.compile("offset (\\d+): \"m(\\d+)\"");

    @Test
    void theFollowerResumesOnTheSecondNodeWhenTheFirstStopsAndMissesNothing() throws Exception {
        RedisAvailability.assumeRedisInstalled();
        try (RedisServer redis = RedisServer.start()) {
            StandaloneServer a = HeraldMain.start("--host", "127.0.0.1", "--port", "0", "--redis", redis.uri(),
                    "--node-id", "a");
            StandaloneServer b = HeraldMain.start("--host", "127.0.0.1", "--port", "0", "--redis", redis.uri(),
                    "--node-id", "b");
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
            try (Follower follower = Follower.start(List.of(a.webSocketUri(), b.webSocketUri()), "notifications",
                    out)) {
                await(() -> text(bytes).contains("subscribed to notifications"));
                for (int i = 1; i <= 5; i++) {
                    publish(b, i);
                }
                await(() -> follower.lastOffset() == 5);
                a.close();
                await(() -> text(bytes).contains("resuming on " + b.webSocketUri()));
                for (int i = 6; i <= 10; i++) {
                    publish(b, i);
                }
                await(() -> follower.lastOffset() == 10);
                List<Long> offsets = new ArrayList<>();
                Matcher m = MESSAGE.matcher(text(bytes));
                while (m.find()) {
                    offsets.add(Long.parseLong(m.group(1)));
                    assertEquals(m.group(1), m.group(2), "offset and data agree");
                }
                assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L), offsets, text(bytes));
                assertTrue(text(bytes).contains("nothing missed"), text(bytes));
            } finally {
                b.close();
                a.close();
            }
        }
    }

    private static void publish(StandaloneServer node, int i) {
        PublishResult result = node.broker().publish("notifications", RawJson.of("\"m" + i + "\""))
                .toCompletableFuture().join();
        assertTrue(result.accepted(), String.valueOf(result));
    }

    private static String text(ByteArrayOutputStream bytes) {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out");
            }
            Thread.sleep(10);
        }
    }
}
