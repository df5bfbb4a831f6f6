package dev.herald.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.bench.reference.ReferenceServer;
import dev.herald.netty.HeraldServer;
import dev.herald.netty.HeraldServerConfig;
import dev.herald.redis.testing.RedisAvailability;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The generator end to end on loopback, in-process and for a couple of seconds: a tiny fan-out must arrive
 * complete (no loss, no duplicate, in order) and the JSON line must parse. Speed is not asserted. The herald-redis
 * runs spawn a redis-server and node JVMs, as the real benchmark does; they are skipped without redis-server,
 * except under {@code CI=true}, where they fail.
 */
@Timeout(180)
class LoadGeneratorSmokeTest {

    static Map<String, String> runFanout(int port) throws Exception {
        LoadOptions options = LoadOptions.parse("--servers", "ws://127.0.0.1:" + port + "/ws",
                "--scenario", "fanout", "--subscribers", "20", "--rate", "100", "--warmup", "0.5",
                "--duration", "1.5", "--client-threads", "1", "--drain-seconds", "60");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        List<RunResult> results;
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            results = LoadGenerator.execute(options, out);
        }
        assertEquals(1, results.size());
        String[] lines = bytes.toString(StandardCharsets.UTF_8).trim().split("\n");
        assertEquals(1, lines.length, "one JSON line per run");
        Map<String, String> json = SubscriberClient.parseFlat(lines[0].getBytes(StandardCharsets.UTF_8));
        assertNull(json.get("type"), "the line parses as JSON: " + lines[0]);
        assertNull(json.get("error"), lines[0]);
        assertEquals("fanout", json.get("scenario"));
        long expected = Long.parseLong(json.get("expectedDeliveries"));
        assertTrue(expected >= 20 * 100, "about 2 s at 100/s to 20 subscribers: " + lines[0]);
        assertEquals(Long.toString(expected), json.get("delivered"), lines[0]);
        assertEquals("0", json.get("lost"), lines[0]);
        assertEquals("0", json.get("dup"), lines[0]);
        assertEquals("0", json.get("outOfOrder"), lines[0]);
        assertEquals("0", json.get("unexpectedCloses"), lines[0]);
        assertTrue(Double.parseDouble(json.get("p99Ms")) > 0, lines[0]);
        return json;
    }

    /** Small, quick-starting node JVMs: the test shares two cores with them. */
    private static final String NODE_JVM = "-Xms64m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1";

    /** Runs the generator once against spawned herald-redis nodes; returns its one JSON line, checked complete. */
    static Map<String, String> runHeraldRedis(String... scenario) throws Exception {
        List<String> args = new ArrayList<>(List.of("--servers", "herald-redis", "--nodes", "2",
                "--rate", "100", "--warmup", "0.5", "--duration", "1.5", "--client-threads", "1",
                "--server-threads", "1", "--server-jvm", NODE_JVM, "--drain-seconds", "30"));
        args.addAll(List.of(scenario));
        LoadOptions options = LoadOptions.parse(args.toArray(String[]::new));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        List<RunResult> results;
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            results = LoadGenerator.execute(options, out);
        }
        assertEquals(1, results.size());
        String line = bytes.toString(StandardCharsets.UTF_8).trim();
        Map<String, String> json = SubscriberClient.parseFlat(line.getBytes(StandardCharsets.UTF_8));
        assertNull(json.get("type"), "the line parses as JSON: " + line);
        assertNull(json.get("error"), line);
        assertEquals("herald-redis", json.get("server"), line);
        assertEquals("2", json.get("nodes"), line);
        long expected = Long.parseLong(json.get("expectedDeliveries"));
        assertTrue(expected > 0, line);
        assertEquals(Long.toString(expected), json.get("delivered"), line);
        assertEquals("0", json.get("lost"), line);
        assertEquals("0", json.get("dup"), line);
        assertEquals("0", json.get("outOfOrder"), line);
        assertEquals("0", json.get("publishErrors"), line);
        assertTrue(Double.parseDouble(json.get("serverCpuS")) > 0, "the nodes' CPU is measured: " + line);
        assertTrue(Double.parseDouble(json.get("redisCpuS")) >= 0, "redis-server's CPU is measured: " + line);
        assertTrue(Long.parseLong(json.get("node0RssBytes")) > 0, line);
        assertTrue(Double.parseDouble(json.get("p99Ms")) > 0, line);
        assertTrue(LoadGenerator.table(results).contains("herald-redis"));
        return json;
    }

    @Test
    void fanoutAgainstHeraldOnRedisArrivesComplete() throws Exception {
        RedisAvailability.assumeRedisInstalled();
        Map<String, String> json = runHeraldRedis("--scenario", "fanout", "--subscribers", "10");
        assertEquals("0", json.get("unexpectedCloses"), json.toString());
    }

    @Test
    void nodeDeathResumesTheKilledNodesSubscribersElsewhereWithNothingLost() throws Exception {
        RedisAvailability.assumeRedisInstalled();
        Map<String, String> json = runHeraldRedis("--scenario", "node-death", "--subscribers", "10");
        assertEquals("5", json.get("killedSubscribers"), "subscribers 0, 2, 4, 6, 8 were on node 0: " + json);
        assertEquals("5", json.get("resumedElsewhere"), json.toString());
        assertEquals("5", json.get("unexpectedCloses"), "only the killed node's connections dropped: " + json);
        assertEquals("0", json.get("notRecovered"), json.toString());
        assertEquals("0", json.get("publishesUnacknowledged"), "every publish was acknowledged, by id: " + json);
        assertEquals("0", json.get("lostInsideHistory"), json.toString());
        assertEquals("true", json.get("targetMet"), json.toString());
        assertTrue(Double.parseDouble(json.get("allLiveMs")) > 0, json.toString());
    }

    @Test
    void fanoutAgainstTheReferenceServerArrivesComplete() throws Exception {
        try (ReferenceServer server = ReferenceServer.start("127.0.0.1", 0, 1)) {
            runFanout(server.localAddress().getPort());
            assertEquals(0, server.droppedFrames());
        }
    }

    @Test
    void fanoutAgainstHeraldArrivesComplete() throws Exception {
        HeraldServerConfig config = HeraldServerConfig.builder().host("127.0.0.1").port(0).build();
        try (HeraldServer server = HeraldServer.builder().config(config).build().start()) {
            runFanout(server.port());
        }
    }
}
