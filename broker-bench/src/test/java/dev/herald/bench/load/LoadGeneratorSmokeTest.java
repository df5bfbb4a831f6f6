package dev.herald.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.bench.reference.ReferenceServer;
import dev.herald.netty.HeraldServer;
import dev.herald.netty.HeraldServerConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The generator end to end on loopback, in-process and for a couple of seconds: a tiny fan-out must arrive
 * complete (no loss, no duplicate, in order) and the JSON line must parse. Speed is not asserted.
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
