package dev.herald.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The abuse limits over real loopback sockets: slow-loris clients are closed at the request deadline, a flooding
 * address is refused past its limits, and an HTTP publish flood gets 429, while a well-behaved client is served
 * throughout. Every loop is bounded, and nothing here asserts how fast the server is: only who was served, who was
 * refused and who was closed.
 */
@ExtendWith(NettyLeakDetectorExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AbuseLimitsLoopbackTest {
    private HeraldServer server;
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable resource : resources) {
            try {
                resource.close();
            } catch (IOException e) {
                // already reset by the server
            }
        }
        if (server != null) {
            server.close();
        }
    }

    private HeraldServer start(UnaryOperator<HeraldServerConfig.Builder> settings) {
        server = HeraldServer.builder().config(settings.apply(HeraldServerConfig.builder().host("127.0.0.1").port(0)
                .shutdownTimeout(Duration.ofSeconds(1))).build()).build().start();
        return server;
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> serverMetrics() {
        HttpResponse<String> metrics = HttpApiIntegrationTest.get(server, "/metrics");
        assertEquals(200, metrics.statusCode(), metrics.body());
        return (Map<String, Object>) TestJson.object(metrics.body()).get("server");
    }

    private long metric(String name) {
        return ((Number) serverMetrics().get(name)).longValue();
    }

    /** Waits (bounded) until the server counts at most {@code max} open connections. */
    private void awaitConnectionsOpenAtMost(long max) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        long open = metric("connectionsOpen");
        while (open > max && System.nanoTime() < deadline) {
            Thread.sleep(50);
            open = metric("connectionsOpen");
        }
        assertTrue(open <= max, open + " connections still open; expected at most " + max);
    }

    /**
     * A well-behaved client on the JDK's HTTP client, from 127.0.0.1: publishes, then reads the message back from
     * history, at a polite pace (well under the default per-connection rates), until stopped; every answer must be
     * right.
     */
    private final class GoodClient implements AutoCloseable {
        final AtomicInteger rounds = new AtomicInteger();
        final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Thread thread;

        GoodClient() {
            thread = new Thread(this::run, "good-client");
            thread.setDaemon(true);
            thread.start();
        }

        private void run() {
            for (int i = 1; !stop.get() && failures.isEmpty(); i++) {
                try {
                    HttpResponse<String> published = HttpApiIntegrationTest.post(server, "/publish",
                            "application/json", "{\"topic\":\"good\",\"data\":" + i + "}");
                    if (published.statusCode() != 200) {
                        failures.add("publish " + i + ": " + published.statusCode() + " " + published.body());
                        return;
                    }
                    long offset = ((Number) TestJson.object(published.body()).get("offset")).longValue();
                    HttpResponse<String> history = HttpApiIntegrationTest.get(server,
                            "/topics/good/history?since=" + (offset - 1));
                    if (history.statusCode() != 200 || !history.body().contains("\"data\":" + i + "}")) {
                        failures.add("history " + i + ": " + history.statusCode() + " " + history.body());
                        return;
                    }
                    rounds.incrementAndGet();
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    failures.add("round " + i + ": " + e);
                    return;
                }
            }
        }

        /** Stops once it has done at least {@code minRounds}, and checks that every round was served. */
        void finish(int minRounds) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (rounds.get() < minRounds && failures.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            close();
            assertEquals(List.of(), List.copyOf(failures), "the well-behaved client was served throughout");
            assertTrue(rounds.get() >= minRounds, "only " + rounds.get() + " rounds");
        }

        @Override
        public void close() {
            stop.set(true);
            try {
                thread.join(TimeUnit.SECONDS.toMillis(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ------------------------------------------------------------------ (a) slow loris

    /** One slow client: sends its request head a byte at a time and records what comes back. */
    private static final class Dribbler {
        final SocketChannel channel;
        final StringBuilder response = new StringBuilder();
        int sent;
        long firstByteAt;
        long closedAt;

        Dribbler(SocketChannel channel) {
            this.channel = channel;
        }

        boolean open() {
            return closedAt == 0;
        }

        /** Reads what has arrived; notes the close (end of stream or reset). */
        void read(ByteBuffer buffer) {
            try {
                while (true) {
                    buffer.clear();
                    int n = channel.read(buffer);
                    if (n < 0) {
                        closedAt = System.nanoTime();
                        return;
                    }
                    if (n == 0) {
                        return;
                    }
                    response.append(new String(buffer.array(), 0, n, StandardCharsets.US_ASCII));
                }
            } catch (IOException e) {
                closedAt = System.nanoTime();
            }
        }

        void writeNext(byte[] head) {
            try {
                if (sent == 0) {
                    firstByteAt = System.nanoTime();
                }
                channel.write(ByteBuffer.wrap(head, sent, 1));
                sent++;
            } catch (IOException e) {
                closedAt = System.nanoTime();
            }
        }
    }

    @Test
    void slowLorisConnectionsAreClosedAtTheRequestDeadlineWhileAGoodClientIsServed() throws Exception {
        // All clients are on 127.0.0.1 here, and the subject is the deadline: the per-address limits are off.
        start(b -> b.requestTimeout(Duration.ofSeconds(2)).maxConnectionsPerAddress(0)
                .connectionRateLimit(RateLimit.off()));
        byte[] head = ("GET /health HTTP/1.1\r\nHost: localhost\r\nX-Padding: " + "p".repeat(100) + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        int slow = 200;
        List<Dribbler> dribblers = new ArrayList<>();
        for (int i = 0; i < slow; i++) {
            SocketChannel channel = SocketChannel.open(new InetSocketAddress("127.0.0.1", server.port()));
            channel.configureBlocking(false);
            resources.add(channel);
            dribblers.add(new Dribbler(channel));
        }
        GoodClient good = new GoodClient();
        resources.add(good);
        ByteBuffer buffer = ByteBuffer.allocate(4096);
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int open = slow;
        // A byte every 500 ms from each: never idle, and the head would take more than a minute to arrive.
        while (open > 0 && System.nanoTime() < giveUp) {
            open = 0;
            for (Dribbler d : dribblers) {
                if (d.open()) {
                    d.read(buffer);
                }
                if (d.open() && d.sent < head.length) {
                    d.writeNext(head);
                }
                if (d.open()) {
                    open++;
                }
            }
            Thread.sleep(500);
        }
        assertEquals(0, open, "every slow connection was closed by the server");
        int answered408 = 0;
        for (Dribbler d : dribblers) {
            assertTrue(d.sent < head.length, "closed before its head could have arrived: " + d.sent + " bytes");
            long lived = d.closedAt - d.firstByteAt;
            assertTrue(lived >= TimeUnit.MILLISECONDS.toNanos(1900),
                    "not closed before the 2 s deadline: " + TimeUnit.NANOSECONDS.toMillis(lived) + " ms");
            if (d.response.toString().startsWith("HTTP/1.1 408 ")) {
                assertTrue(d.response.toString().contains("\"code\":\"request_timeout\""), d.response.toString());
                answered408++;
            } else {
                assertEquals("", d.response.toString(), "nothing but a 408 is sent to a slow client");
            }
        }
        // A slow client that sent its next byte just as the server closed may see a reset instead of the 408.
        assertTrue(answered408 >= slow * 9 / 10, answered408 + " of " + slow + " saw the 408");
        good.finish(10);
        assertEquals(slow, metric("requestTimeouts"));
        awaitConnectionsOpenAtMost(2); // the good client's pooled connection(s)
    }

    // ------------------------------------------------------------------ (b) connection flood

    /** What a flooding connection got: a 200 to its request, or nothing (reset, closed, or never connected). */
    private static boolean served(Socket socket) {
        try {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            return HttpApiIntegrationTest.RawHttp.readResponse(in).startsWith("HTTP/1.1 200 ");
        } catch (IOException e) {
            return false; // reset or closed by the server: refused
        }
    }

    private Socket flooderSocket(InetAddress from) throws IOException {
        Socket socket = new Socket();
        resources.add(socket);
        socket.bind(new InetSocketAddress(from, 0));
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
        return socket;
    }

    @Test
    void aFloodingAddressIsRefusedPastItsLimitsWhileAnotherAddressIsServed() throws Exception {
        InetAddress flooder = InetAddress.getByName("127.0.0.2");
        try (Socket probe = new Socket()) {
            probe.bind(new InetSocketAddress(flooder, 0));
        } catch (IOException e) {
            assumeTrue(false, "127.0.0.2 is not a local address here: " + e);
        }
        int maxPerAddress = 20;
        start(b -> b.maxConnectionsPerAddress(maxPerAddress).connectionRateLimit(RateLimit.perSecond(20, 40)));
        GoodClient good = new GoodClient(); // from 127.0.0.1
        resources.add(good);

        // Phase 1: open connections as fast as possible and hold them all: the per-address count caps them.
        List<Socket> held = new ArrayList<>();
        int attempts = 1500;
        for (int i = 0; i < attempts; i++) {
            try {
                held.add(flooderSocket(flooder));
            } catch (IOException e) {
                // the accept queue overflowed: not served either
            }
        }
        int served = 0;
        for (Socket socket : held) {
            if (served(socket)) {
                served++;
            }
        }
        assertTrue(served >= 1 && served <= maxPerAddress,
                served + " of " + attempts + " held connections were served; the cap is " + maxPerAddress);
        assertTrue(metric("connectionsOverAddressLimit") > 0);
        for (Socket socket : held) {
            socket.close();
        }

        // Phase 2: open, ask, close, as fast as possible: the connection rate refuses most.
        int churn = 1000;
        int servedChurn = 0;
        long started = System.nanoTime();
        for (int i = 0; i < churn; i++) {
            try (Socket socket = flooderSocket(flooder)) {
                if (served(socket)) {
                    servedChurn++;
                }
            } catch (IOException e) {
                // refused before it connected
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        assertTrue(servedChurn < churn, "the connection rate refused some");
        assertTrue(servedChurn <= 40 + 20 * (seconds + 3), servedChurn + " served in " + seconds
                + " s: more than the burst of 40 and 20 a second allow");
        assertTrue(metric("connectionsRateLimited") > 0);

        good.finish(10);
        awaitConnectionsOpenAtMost(2); // the flood is gone; the good client's pooled connection(s) remain
    }

    // ------------------------------------------------------------------ (d) HTTP publish flood

    @Test
    void anHttpPublishFloodGets429WithRetryAfter() throws Exception {
        start(b -> b.publishRateLimit(RateLimit.perSecond(5, 10)));
        int ok = 0;
        int limited = 0;
        for (int i = 0; i < 100; i++) {
            HttpResponse<String> response = HttpApiIntegrationTest.post(server, "/publish", "application/json",
                    "{\"topic\":\"flood\",\"data\":" + i + "}");
            if (response.statusCode() == 200) {
                ok++;
                continue;
            }
            assertEquals(429, response.statusCode(), response.body());
            limited++;
            long retryAfter = Long.parseLong(response.headers().firstValue("retry-after").orElseThrow());
            assertTrue(retryAfter >= 1, "Retry-After in whole seconds, at least 1: " + retryAfter);
            Map<String, Object> body = TestJson.object(response.body());
            assertEquals("rate_limited", body.get("code"), response.body());
            assertTrue(body.get("message") instanceof String m && !m.isEmpty());
        }
        assertTrue(ok >= 10, "the burst of 10 went through: " + ok);
        assertTrue(limited >= 40, "the rest mostly did not: " + limited);
        assertEquals(ok, server.broker().stats().published(), "a refused publish is not published");
        assertEquals(limited, metric("httpPublishesRateLimited"));
        assertTrue(metric("rateLimitCloses") >= 1, "a connection that went on past 50 refusals was closed");
        assertEquals(200, HttpApiIntegrationTest.get(server, "/topics/flood/history").statusCode(),
                "reads go on: only publishes are over their rate");
    }
}
