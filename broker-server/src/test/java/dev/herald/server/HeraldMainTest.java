package dev.herald.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.herald.netty.HeraldServerConfig;
import dev.herald.netty.RateLimit;
import dev.herald.netty.SlowConsumerPolicy;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HeraldMainTest {

    /** Runs the command line as main would, capturing what it prints. */
    private record Run(int status, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = HeraldMain.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    private static HeraldMain parse(String... args) {
        CommandLine cl = HeraldMain.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        cl.parseArgs(args);
        return cl.getCommand();
    }

    private static void assumeNoHeraldEnvironment() {
        assumeTrue(System.getenv().keySet().stream().noneMatch(k -> k.startsWith("HERALD_")),
                "HERALD_* variables are set in this environment; they would change the defaults");
    }

    @Test
    void defaultsAreTheLibraryDefaultsPlusTheDemoPage() {
        assumeNoHeraldEnvironment();
        HeraldMain main = parse();
        HeraldServerConfig config = main.serverConfig();
        HeraldServerConfig library = HeraldServerConfig.defaults();
        assertEquals(library.host(), config.host());
        assertEquals(library.port(), config.port());
        assertEquals(library.websocketPath(), config.websocketPath());
        assertEquals(library.allowedOrigins(), config.allowedOrigins());
        assertEquals(library.maxHttpBodyBytes(), config.maxHttpBodyBytes());
        assertEquals(library.maxFrameBytes(), config.maxFrameBytes());
        assertEquals(library.maxConnections(), config.maxConnections());
        assertEquals(library.maxSubscriptionsPerConnection(), config.maxSubscriptionsPerConnection());
        assertEquals(library.heartbeatInterval(), config.heartbeatInterval());
        assertEquals(library.idleTimeout(), config.idleTimeout());
        assertEquals(library.handshakeTimeout(), config.handshakeTimeout());
        assertEquals(library.outboundQueueLimit(), config.outboundQueueLimit());
        assertEquals(library.writeBufferLowWaterMark(), config.writeBufferLowWaterMark());
        assertEquals(library.writeBufferHighWaterMark(), config.writeBufferHighWaterMark());
        assertEquals(library.slowConsumerPolicy(), config.slowConsumerPolicy());
        assertEquals(library.shutdownTimeout(), config.shutdownTimeout());
        assertEquals(library.historyLimit(), config.historyLimit());
        assertEquals(library.maxConnectionsPerAddress(), config.maxConnectionsPerAddress());
        assertEquals(library.connectionRateLimit(), config.connectionRateLimit());
        assertEquals(library.requestRateLimit(), config.requestRateLimit());
        assertEquals(library.publishRateLimit(), config.publishRateLimit());
        assertEquals(library.requestTimeout(), config.requestTimeout());
        assertEquals(library.maxRequestLineBytes(), config.maxRequestLineBytes());
        assertEquals(library.maxHeaderBytes(), config.maxHeaderBytes());
        assertEquals(library.maxPipelinedRequests(), config.maxPipelinedRequests());
        assertFalse(library.demoPage(), "the library does not serve the demo page unless asked");
        assertTrue(config.demoPage(), "the standalone server serves it by default");
        assertEquals(1000, main.historyCount);
        assertEquals(Duration.ZERO, main.historyAge);
        assertEquals(16L << 20, main.historyBytes);
        assertEquals(null, main.sslContext(TlsFiles.provider()), "plain HTTP unless the TLS files are given");
    }

    @Test
    void everyFlagReachesTheConfiguration() {
        HeraldMain main = parse("--host", "127.0.0.1", "--port", "0", "--websocket-path", "/events",
                "--allowed-origins", "http://localhost:3000, https://*.example.com",
                "--history-count", "50", "--history-age", "5m", "--history-bytes", "2MiB", "--max-topics", "10",
                "--slow-consumer-policy", "drop", "--outbound-queue-limit", "64",
                "--write-buffer-low", "32KiB", "--write-buffer-high", "64KiB",
                "--heartbeat-interval", "5s", "--idle-timeout", "1m", "--handshake-timeout", "500ms",
                "--max-connections", "7", "--max-frame-bytes", "1KiB", "--max-subscriptions-per-connection", "3",
                "--max-http-body-bytes", "4096", "--history-page-limit", "20", "--shutdown-timeout", "PT2S",
                "--no-demo-page", "--max-connections-per-address", "5", "--connection-rate", "2.5",
                "--connection-burst", "6", "--request-rate", "30", "--request-burst", "31", "--publish-rate", "0",
                "--publish-burst", "0", "--request-timeout", "3s", "--max-request-line-bytes", "2KiB",
                "--max-header-bytes", "4KiB", "--max-pipelined-requests", "4");
        HeraldServerConfig config = main.serverConfig();
        assertEquals("127.0.0.1", config.host());
        assertEquals(0, config.port());
        assertEquals("/events", config.websocketPath());
        assertEquals(List.of("http://localhost:3000", "https://*.example.com"), config.allowedOrigins());
        assertEquals(SlowConsumerPolicy.DROP, config.slowConsumerPolicy());
        assertEquals(64, config.outboundQueueLimit());
        assertEquals(32 << 10, config.writeBufferLowWaterMark());
        assertEquals(64 << 10, config.writeBufferHighWaterMark());
        assertEquals(Duration.ofSeconds(5), config.heartbeatInterval());
        assertEquals(Duration.ofMinutes(1), config.idleTimeout());
        assertEquals(Duration.ofMillis(500), config.handshakeTimeout());
        assertEquals(7, config.maxConnections());
        assertEquals(1024, config.maxFrameBytes());
        assertEquals(3, config.maxSubscriptionsPerConnection());
        assertEquals(4096, config.maxHttpBodyBytes());
        assertEquals(20, config.historyLimit());
        assertEquals(Duration.ofSeconds(2), config.shutdownTimeout());
        assertFalse(config.demoPage());
        assertEquals(5, config.maxConnectionsPerAddress());
        assertEquals(RateLimit.perSecond(2.5, 6), config.connectionRateLimit());
        assertEquals(RateLimit.perSecond(30, 31), config.requestRateLimit());
        assertTrue(config.publishRateLimit().isOff(), "a rate of 0 turns the limit off, whatever the burst");
        assertEquals(Duration.ofSeconds(3), config.requestTimeout());
        assertEquals(2048, config.maxRequestLineBytes());
        assertEquals(4096, config.maxHeaderBytes());
        assertEquals(4, config.maxPipelinedRequests());
        assertEquals(50, main.historyCount);
        assertEquals(Duration.ofMinutes(5), main.historyAge);
        assertEquals(2L << 20, main.historyBytes);
        assertEquals(10, main.maxTopics);
        // History keeps 50 at most, and evicts by bytes and by age.
        assertTrue(main.historyPolicy().evictOldest(51, 0, 0));
        assertFalse(main.historyPolicy().evictOldest(50, 2L << 20, 0));
        assertTrue(main.historyPolicy().evictOldest(1, (2L << 20) + 1, 0));
        assertTrue(main.historyPolicy().evictOldest(1, 0, Duration.ofMinutes(5).toNanos()));
        assertTrue(main.historyPolicy().expiresByAge());
    }

    @Test
    void theDemoPageFlagIsNegatable() {
        assumeNoHeraldEnvironment();
        assertTrue(parse().demoPage);
        assertTrue(parse("--demo-page").demoPage);
        assertFalse(parse("--no-demo-page").demoPage);
        assertFalse(parse("--demo-page=false").demoPage);
    }

    @Test
    void historyCountZeroKeepsNothing() {
        HeraldMain main = parse("--history-count", "0");
        assertTrue(main.historyPolicy().evictOldest(1, 1, 0));
    }

    @Test
    void badValuesFailFastNamingTheOptionWithoutAStackTrace() {
        record Case(String option, String[] args) {
        }
        List<Case> cases = List.of(
                new Case("--port", new String[] {"--port", "70000"}),
                new Case("--port", new String[] {"--port", "eighty"}),
                new Case("--idle-timeout", new String[] {"--idle-timeout", "60"}),
                new Case("--heartbeat-interval", new String[] {"--heartbeat-interval", "5 fortnights"}),
                new Case("--heartbeat-interval", new String[] {"--heartbeat-interval", "0"}),
                new Case("--max-frame-bytes", new String[] {"--max-frame-bytes", "0"}),
                new Case("--max-frame-bytes", new String[] {"--max-frame-bytes", "3GiB"}),
                new Case("--history-bytes", new String[] {"--history-bytes", "lots"}),
                new Case("--history-count", new String[] {"--history-count", "-1"}),
                new Case("--max-topics", new String[] {"--max-topics", "0"}),
                new Case("--slow-consumer-policy", new String[] {"--slow-consumer-policy", "sometimes"}),
                new Case("--allowed-origins", new String[] {"--allowed-origins", "not an origin"}),
                new Case("--websocket-path", new String[] {"--websocket-path", "ws"}),
                new Case("--write-buffer-low", new String[] {"--write-buffer-low", "1MiB", "--write-buffer-high",
                    "64KiB"}),
                new Case("--no-such-option", new String[] {"--no-such-option"}),
                new Case("--redis-cluster", new String[] {"--redis-cluster"}),
                new Case("--redis", new String[] {"--redis", "redis://a:6379,redis://b:6379"}),
                new Case("--redis", new String[] {"--redis", "not a uri"}),
                new Case("--redis-key-prefix", new String[] {"--redis", "redis://127.0.0.1:1", "--redis-key-prefix",
                    "two words"}),
                new Case("--redis-topic-ttl", new String[] {"--redis", "redis://127.0.0.1:1", "--redis-topic-ttl",
                    "10s"}),
                new Case("--node-id", new String[] {"--node-id", "no spaces please"}),
                new Case("--tls-key-file", new String[] {"--tls-cert-file", "cert.pem"}),
                new Case("--tls-cert-file", new String[] {"--tls-key-file", "key.pem"}),
                new Case("--tls-cert-file", new String[] {"--tls-cert-file", "no-such-cert.pem", "--tls-key-file",
                    "no-such-key.pem"}),
                new Case("--request-rate", new String[] {"--request-rate", "-1"}),
                new Case("--request-rate", new String[] {"--request-rate", "often"}),
                new Case("--request-burst", new String[] {"--request-burst", "0"}),
                new Case("--publish-rate", new String[] {"--publish-rate", "0.000000001", "--publish-burst",
                    "2000000000"}),
                new Case("--connection-burst", new String[] {"--connection-burst", "-3"}),
                new Case("--max-connections-per-address", new String[] {"--max-connections-per-address", "-1"}),
                new Case("--request-timeout", new String[] {"--request-timeout", "0"}),
                new Case("--max-request-line-bytes", new String[] {"--max-request-line-bytes", "10"}),
                new Case("--max-header-bytes", new String[] {"--max-header-bytes", "100"}),
                new Case("--max-pipelined-requests", new String[] {"--max-pipelined-requests", "0"}),
                new Case("--redis-topic-ttl", new String[] {"--redis", "redis://127.0.0.1:1", "--history-age", "40d"}));
        for (Case c : cases) {
            Run r = run(withLoopbackPortZero(c.args()));
            String what = String.join(" ", c.args()) + " -> " + r.err();
            assertEquals(2, r.status(), what);
            assertTrue(r.err().contains(c.option()), what);
            assertTrue(r.err().contains("Run with --help"), what);
            assertFalse(r.err().contains("\tat "), "no stack trace: " + what);
            assertFalse(r.err().contains("Exception"), "no exception class name: " + what);
            assertEquals("", r.out(), what);
        }
    }

    /** Bad values must be caught before anything listens; if one slipped through, it must not take port 8080. */
    private static String[] withLoopbackPortZero(String[] args) {
        List<String> all = new java.util.ArrayList<>(List.of(args));
        if (!all.contains("--port")) {
            all.addAll(List.of("--port", "0"));
        }
        all.addAll(List.of("--host", "127.0.0.1"));
        return all.toArray(String[]::new);
    }

    @Test
    void startFromCodeRefusesBadValuesNamingTheOption() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HeraldMain.start("--port", "0", "--host", "127.0.0.1", "--max-connections", "0"));
        assertTrue(e.getMessage().contains("--max-connections"), e.getMessage());
    }

    @Test
    void helpListsEveryOptionWithItsEnvironmentVariableAndDefault() {
        Run r = run("--help");
        assertEquals(0, r.status());
        String help = r.out().replaceAll("\\s+", " ");
        int checked = 0;
        List<java.lang.reflect.Field> fields = new java.util.ArrayList<>(List.of(HeraldMain.class.getDeclaredFields()));
        fields.addAll(List.of(AuthOptions.class.getDeclaredFields()));
        for (java.lang.reflect.Field field : fields) {
            CommandLine.Option option = field.getAnnotation(CommandLine.Option.class);
            if (option == null) {
                continue;
            }
            String name = option.names()[0];
            String env = "HERALD_" + name.substring(2).replace('-', '_').toUpperCase(java.util.Locale.ROOT);
            // Same pattern for every option: --some-option is also HERALD_SOME_OPTION, and help says so.
            assertTrue(option.defaultValue().startsWith("${env:" + env + ":-"), name + " " + option.defaultValue());
            assertTrue(help.contains(option.negatable() ? "--[no-]" + name.substring(2) : name), "help lists " + name);
            assertTrue(help.contains("[" + env + ", default"), "help shows " + env + " and its default");
            checked++;
        }
        assertEquals(48, checked, "every option is checked");
        assertTrue(help.contains("--redis"), "help tells how to share topics through Redis");
        assertTrue(help.contains("ulimit -n"), "help tells how to raise the open-file limit");
    }

    @Test
    void versionPrints() {
        Run r = run("--version");
        assertEquals(0, r.status());
        assertTrue(r.out().startsWith("Herald server"), r.out());
    }

    @Test
    void startsOnAFreePortServesHealthAndTheDemoPageThenStops() throws Exception {
        StandaloneServer server = HeraldMain.start("--host", "127.0.0.1", "--port", "0");
        int port;
        try {
            port = server.port();
            assertNotEquals(0, port);
            assertEquals(URI.create("http://127.0.0.1:" + port), server.httpUri());
            assertEquals(URI.create("ws://127.0.0.1:" + port + "/ws"), server.webSocketUri());
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(server.httpUri().resolve("/health"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode(), health.body());
            HttpResponse<String> page = http.send(HttpRequest.newBuilder(server.httpUri().resolve("/"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, page.statusCode());
            assertTrue(page.headers().firstValue("content-type").orElse("").startsWith("text/html"));
            assertTrue(page.body().contains("new WebSocket("), "serves the demo page");
        } finally {
            server.close();
        }
        server.close(); // idempotent
        assertFalse(server.broker().isOpen(), "the broker is closed with the server");
        assertThrows(ConnectException.class, () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            }
        }, "nothing listens after close");
    }

    @Test
    void anUnreachableRedisFailsTheStartWithAMessageAndStatusOne() throws IOException {
        int closedPort;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getByName("127.0.0.1"))) {
            closedPort = probe.getLocalPort();
        }
        Run r = run("--host", "127.0.0.1", "--port", "0", "--redis", "redis://127.0.0.1:" + closedPort,
                "--redis-timeout", "1s");
        assertEquals(1, r.status(), r.err());
        assertTrue(r.err().contains("could not start: could not connect to Redis at redis://127.0.0.1:" + closedPort),
                r.err());
        assertFalse(r.err().contains("\tat "), r.err());
    }

    @Test
    void withoutRedisTheServerKeepsEverythingInMemoryAndHasANodeId() {
        assumeNoHeraldEnvironment();
        HeraldMain main = parse();
        assertEquals(null, main.redisEngine("n"), "in memory unless --redis is given");
        assertTrue(main.serverConfig().nodeId().matches("node-[0-9a-z]+"), main.serverConfig().nodeId());
        assertEquals("west-1", parse("--node-id", "west-1").serverConfig().nodeId());
    }

    @Test
    void aTakenPortFailsWithAMessageAndStatusOne() throws IOException {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getByName("127.0.0.1"))) {
            Run r = run("--host", "127.0.0.1", "--port", String.valueOf(taken.getLocalPort()));
            assertEquals(1, r.status(), r.err());
            assertTrue(r.err().contains("could not start"), r.err());
            assertTrue(r.err().contains(String.valueOf(taken.getLocalPort())), r.err());
            assertFalse(r.err().contains("\tat "), r.err());
        }
    }
}
