package dev.herald.redis.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Checks the harness against real redis-server processes, since every Redis test trusts it. */
class RedisHarnessTest {

    @BeforeAll
    static void redisInstalled() {
        RedisAvailability.assumeRedisInstalled();
    }

    @Test
    void startsOnLoopbackAndAnswersPing() {
        try (RedisServer server = RedisServer.start()) {
            assertTrue(server.isRunning());
            assertEquals("redis://127.0.0.1:" + server.port(), server.uri());
            assertTrue(rawPing(server.port(), 1000), "a raw PING over a socket gets +PONG");
            assertEquals("PONG", server.cli("PING"));
            assertEquals("bind\n127.0.0.1", server.cli("CONFIG", "GET", "bind"));
            assertTrue(Files.isDirectory(server.dir()));
        }
    }

    @Test
    void appendOnlyDataSurvivesRestartAndKill() {
        try (RedisServer server = RedisServer.start(RedisServer.Options.defaults().appendOnly(true))) {
            int port = server.port();
            assertEquals("OK", server.cli("SET", "k", "v"));
            server.restart();
            assertEquals(port, server.port(), "a restart keeps the port clients were given");
            assertEquals("v", server.cli("GET", "k"));

            // appendfsync always: an acknowledged write survives even a crash.
            assertEquals("OK", server.cli("SET", "k2", "v2"));
            server.kill();
            server.restart();
            assertEquals("v2", server.cli("GET", "k2"));
        }
    }

    @Test
    void withoutAppendOnlyRestartLosesEverything() throws IOException {
        try (RedisServer server = RedisServer.start()) {
            assertEquals("OK", server.cli("SET", "k", "v"));
            server.restart();
            assertEquals("", server.cli("GET", "k"), "redis-cli prints a nil as an empty line");
            assertEquals("0", server.cli("DBSIZE"));
            try (var files = Files.list(server.dir())) {
                assertFalse(files.anyMatch(f -> f.getFileName().toString().endsWith(".rdb")), "no RDB snapshot");
            }
        }
    }

    @Test
    void extraConfigIsApplied() {
        RedisServer.Options options = RedisServer.Options.defaults().extraConfig("maxmemory 10mb", "save \"\"");
        try (RedisServer server = RedisServer.start(options)) {
            assertEquals("maxmemory\n10485760", server.cli("CONFIG", "GET", "maxmemory"));
            assertEquals("save", server.cli("CONFIG", "GET", "save"));
        }
    }

    @Test
    void killEndsTheProcessAndCliReportsFailure() {
        try (RedisServer server = RedisServer.start()) {
            long pid = server.pid();
            server.kill();
            assertFalse(server.isRunning());
            assertFalse(alive(pid));
            IllegalStateException refused = assertThrows(IllegalStateException.class, () -> server.cli("PING"));
            assertTrue(refused.getMessage().contains("Could not connect"), refused.getMessage());
        }
    }

    @Test
    void frozenServerHangsUntilThawed() {
        try (RedisServer server = RedisServer.start()) {
            server.freeze();
            assertTrue(server.isRunning(), "a frozen server still exists");
            assertFalse(rawPing(server.port(), 300), "a frozen server accepts connections but answers nothing");
            server.thaw();
            assertTrue(rawPing(server.port(), 1000));
            assertEquals("PONG", server.cli("PING"));
        }
    }

    @Test
    void clusterServesEverySlotThroughAnyNode() {
        List<RedisServer> nodes;
        try (RedisCluster cluster = RedisCluster.start(3)) {
            nodes = cluster.nodes();
            assertEquals(3, nodes.size());
            for (RedisServer node : nodes) {
                String info = node.cli("CLUSTER", "INFO");
                assertTrue(info.contains("cluster_state:ok"), info);
                assertTrue(info.contains("cluster_slots_assigned:16384"), info);
                assertTrue(node.port() + 10000 <= 65535, "the cluster bus port is valid");
            }
            assertEquals(3, cluster.seedUriList().split(",").length);
            assertTrue(Pattern.matches("redis://127\\.0\\.0\\.1:\\d+(,redis://127\\.0\\.0\\.1:\\d+){2}",
                    cluster.seedUriList()), cluster.seedUriList());

            RedisServer any = nodes.get(2);
            assertEquals("OK", any.cli("-c", "SET", "{x}a", "1"));
            assertEquals("1", any.cli("-c", "GET", "{x}a"));
            assertEquals("1", nodes.get(0).cli("-c", "GET", "{x}a"));

            // Without -c only the owner answers, so this proves nodeForSlot found the right one.
            RedisServer owner = cluster.nodeForKey("{x}a");
            assertEquals(cluster.slotOf("{x}a"), cluster.slotOf("x"), "a hash tag decides the slot");
            assertEquals("1", owner.cli("GET", "{x}a"));
            assertEquals(owner, cluster.nodeForSlot(cluster.slotOf("x")));
            assertNotEquals(cluster.nodeForSlot(0), cluster.nodeForSlot(RedisCluster.SLOTS - 1),
                    "the slots are spread over the masters");
        }
        for (RedisServer node : nodes) {
            assertFalse(node.isRunning());
            assertFalse(alive(node.pid()));
            assertFalse(Files.exists(node.dir()));
        }
    }

    @Test
    void closeLeavesNoProcessOrDirectoryAndIsIdempotent() {
        List<Long> pids = new ArrayList<>();
        List<Path> dirs = new ArrayList<>();
        RedisServer plain = RedisServer.start();
        RedisServer frozen = RedisServer.start(RedisServer.Options.defaults().appendOnly(true));
        for (RedisServer server : List.of(plain, frozen)) {
            pids.add(server.pid());
            dirs.add(server.dir());
        }
        frozen.freeze();
        plain.close();
        frozen.close();
        plain.close();
        frozen.close();
        assertFalse(plain.isRunning());
        assertFalse(frozen.isRunning());
        for (long pid : pids) {
            assertFalse(alive(pid), "pid " + pid + " is gone");
        }
        for (Path dir : dirs) {
            assertFalse(Files.exists(dir), dir + " is deleted");
        }
        assertThrows(IllegalStateException.class, plain::restart, "a closed server cannot come back");
    }

    private static boolean alive(long pid) {
        Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        return handle.isPresent() && handle.get().isAlive();
    }

    /** Independent of the harness's own PING, so a bug there cannot hide a bug in readiness checks. */
    private static boolean rawPing(int port, int timeoutMillis) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), timeoutMillis);
            socket.setSoTimeout(timeoutMillis);
            socket.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            byte[] reply = new byte[7];
            int read = 0;
            while (read < reply.length) {
                int n = in.read(reply, read, reply.length - read);
                if (n < 0) {
                    return false;
                }
                read += n;
            }
            return "+PONG\r\n".equals(new String(reply, StandardCharsets.US_ASCII));
        } catch (IOException e) {
            return false;
        }
    }
}
