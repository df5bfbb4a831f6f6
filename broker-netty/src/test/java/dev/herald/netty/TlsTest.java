package dev.herald.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.Broker;
import dev.herald.core.HistoryQuery;
import dev.herald.core.policy.HistoryPolicy;
import dev.herald.netty.internal.ServerMetrics;
import dev.herald.netty.internal.RequestDeadline;
import dev.herald.netty.internal.TlsSupport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS and WSS on one port, with a certificate made for the test: the routes, WebSocket delivery, the server's own
 * origin, and clients that do not speak TLS, never finish the handshake or refuse the certificate.
 */
@ExtendWith(NettyLeakDetectorExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TlsTest {
    private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(2);

    @TempDir
    static Path dir;

    private static TestCertificate certificate;
    private static SslContext sslContext;
    private static HeraldServer server;
    private static HttpClient https;

    @BeforeAll
    static void start() {
        certificate = TestCertificate.create(dir);
        sslContext = certificate.serverContext();
        server = HeraldServer.builder()
                .config(HeraldServerConfig.builder().host("127.0.0.1").port(0).handshakeTimeout(HANDSHAKE_TIMEOUT)
                        .shutdownTimeout(Duration.ofSeconds(2)).build())
                .sslContext(sslContext)
                .build().start();
        https = client(certificate);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static HttpClient client(TestCertificate trusted) {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(trusted.clientContext())
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    private static URI uri(int port, String path) {
        return URI.create("https://127.0.0.1:" + port + path);
    }

    private static HttpResponse<String> send(HttpClient client, HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(request.method() + " " + request.uri(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static HttpResponse<String> get(String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(server.port(), path)).timeout(Duration.ofSeconds(10));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return send(https, b.GET().build());
    }

    private static HttpResponse<String> publish(HttpClient client, int port, String topic, String data) {
        return send(client, HttpRequest.newBuilder(uri(port, "/publish")).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"topic\":\"" + topic + "\",\"data\":" + data + "}"))
                .build());
    }

    private static long tlsHandshakeFailures() {
        HttpResponse<String> metrics = get("/metrics");
        assertEquals(200, metrics.statusCode(), metrics.body());
        Map<?, ?> serverPart = (Map<?, ?>) TestJson.object(metrics.body()).get("server");
        return (Long) serverPart.get("tlsHandshakeFailures");
    }

    /** Waits until the server has counted {@code expected} failed handshakes; the count follows the close. */
    private static long awaitTlsHandshakeFailures(long expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        long failures;
        while ((failures = tlsHandshakeFailures()) < expected && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return failures;
    }

    @Test
    void publishAndHistoryOverHttps() {
        HttpResponse<String> published = publish(https, server.port(), "tls.http", "{\"message\":\"Hello\"}");
        assertEquals(200, published.statusCode(), published.body());
        Map<String, Object> created = TestJson.object(published.body());
        assertEquals("tls.http", created.get("topic"));

        HttpResponse<String> history = get("/topics/tls.http/history");
        assertEquals(200, history.statusCode(), history.body());
        List<Object> messages = TestJson.array(history.body());
        assertEquals(1, messages.size(), history.body());
        Map<?, ?> message = (Map<?, ?>) messages.get(0);
        assertEquals(created.get("id"), message.get("id"));
        assertEquals(created.get("offset"), message.get("offset"));
        assertEquals(Map.of("message", "Hello"), message.get("data"));
        assertEquals(String.valueOf(created.get("offset")), history.headers().firstValue("Herald-Last-Offset")
                .orElse(""));
        assertEquals(200, get("/health").statusCode());
    }

    @Test
    void aWebSocketOverWssReceivesWhatIsPublishedOverHttps() throws Exception {
        Received received = new Received();
        WebSocket ws = https.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .buildAsync(URI.create("wss://127.0.0.1:" + server.port() + "/ws"), received)
                .orTimeout(10, TimeUnit.SECONDS).join();
        try {
            ws.sendText("{\"action\":\"subscribe\",\"topic\":\"tls.ws\"}", true).orTimeout(10, TimeUnit.SECONDS)
                    .join();
            assertEquals("subscribed", received.nextJson().get("type"));
            HttpResponse<String> published = publish(https, server.port(), "tls.ws", "{\"n\":1}");
            assertEquals(200, published.statusCode(), published.body());
            Map<String, Object> message = received.nextJson();
            assertEquals("tls.ws", message.get("topic"));
            assertEquals(1L, message.get("offset"));
            assertEquals(Map.of("n", 1L), message.get("data"));
            assertEquals(TestJson.object(published.body()).get("id"), message.get("id"));
        } finally {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null)
                    .join();
            ws.abort();
        }
    }

    @Test
    void theServersOwnOriginIsItsHttpsOrigin() {
        String own = "https://127.0.0.1:" + server.port();
        HttpResponse<String> sameOrigin = get("/health", "Origin", own);
        assertEquals(200, sameOrigin.statusCode(), sameOrigin.body());
        assertEquals(own, sameOrigin.headers().firstValue("Access-Control-Allow-Origin").orElse(""));

        // The same host and port over plain HTTP is another origin: no page can come from there.
        HttpResponse<String> plainOrigin = get("/health", "Origin", "http://127.0.0.1:" + server.port());
        assertEquals(403, plainOrigin.statusCode(), plainOrigin.body());
        assertEquals("origin_not_allowed", TestJson.object(plainOrigin.body()).get("code"));

        // A WebSocket from a page of the server's own origin connects; one from the http origin is refused.
        WebSocket ws = https.newWebSocketBuilder().header("Origin", own)
                .buildAsync(URI.create("wss://127.0.0.1:" + server.port() + "/ws"), new Received())
                .orTimeout(10, TimeUnit.SECONDS).join();
        ws.abort();
        CompletionException refused = assertThrows(CompletionException.class, () -> https.newWebSocketBuilder()
                .header("Origin", "http://127.0.0.1:" + server.port())
                .buildAsync(URI.create("wss://127.0.0.1:" + server.port() + "/ws"), new Received())
                .orTimeout(10, TimeUnit.SECONDS).join());
        WebSocketHandshakeException handshake = assertInstanceOf(WebSocketHandshakeException.class,
                refused.getCause());
        assertEquals(403, handshake.getResponse().statusCode());
    }

    @Test
    void plainHttpToTheTlsPortIsClosedAndTheServerKeepsServing() throws Exception {
        long failuresBefore = tlsHandshakeFailures();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String answer = readUntilClosed(socket);
            assertFalse(answer.contains("HTTP/1.1"), "no HTTP answer in plain text: " + answer);
        }
        assertTrue(awaitTlsHandshakeFailures(failuresBefore + 1) >= failuresBefore + 1, "counted");
        assertEquals(200, get("/health").statusCode(), "still serving");
        HttpResponse<String> published = publish(https, server.port(), "tls.after-plain", "true");
        assertEquals(200, published.statusCode(), published.body());
    }

    @Test
    void aClientThatNeverSendsAClientHelloIsClosedAfterTheHandshakeTimeout() throws Exception {
        long failuresBefore = tlsHandshakeFailures();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
            long opened = System.nanoTime();
            // Far below the idle timeout (60 s), so only the handshake timeout can close it in time.
            socket.setSoTimeout(20_000);
            readUntilClosed(socket);
            long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - opened);
            assertTrue(waitedMillis >= HANDSHAKE_TIMEOUT.toMillis() - 250, "closed after " + waitedMillis + " ms");
            assertTrue(waitedMillis < HANDSHAKE_TIMEOUT.toMillis() + 8_000, "closed after " + waitedMillis + " ms");
        }
        assertTrue(awaitTlsHandshakeFailures(failuresBefore + 1) >= failuresBefore + 1, "counted");
        assertEquals(200, get("/health").statusCode(), "still serving");
    }

    @Test
    void aClientThatRefusesTheCertificateFailsItsHandshakeAndIsCounted() throws Exception {
        long failuresBefore = tlsHandshakeFailures();
        // Trusts another certificate only, as a browser that does not know this one.
        HttpClient stranger = client(TestCertificate.create(dir));
        java.io.UncheckedIOException e = assertThrows(java.io.UncheckedIOException.class,
                () -> publish(stranger, server.port(), "tls.stranger", "1"));
        assertInstanceOf(SSLException.class, e.getCause(), e.toString());
        assertTrue(awaitTlsHandshakeFailures(failuresBefore + 1) >= failuresBefore + 1, "counted");
        HttpResponse<String> history = get("/topics/tls.stranger/history");
        assertEquals("[]", history.body(), "nothing was published");
    }

    @Test
    void metricsShowTheFailedHandshakesInTheServerPart() {
        HttpResponse<String> metrics = get("/metrics");
        Map<?, ?> serverPart = (Map<?, ?>) TestJson.object(metrics.body()).get("server");
        assertInstanceOf(Long.class, serverPart.get("tlsHandshakeFailures"), metrics.body());
    }

    @Test
    void theSslHandlerComesFirstAndPlainBytesCloseTheConnectionQuietly() {
        try (Broker<RawJson> broker = Broker.<RawJson>builder().history(HistoryPolicy.lastN(10))
                .executor(Runnable::run).build()) {
            HeraldChannelInitializer initializer = HeraldChannelInitializer
                    .builder(broker, HeraldServerConfig.defaults()).sslContext(sslContext).build();
            EmbeddedChannel ch = new EmbeddedChannel(DefaultChannelId.newInstance(), initializer);
            assertInstanceOf(SslHandler.class, ch.pipeline().first());
            assertEquals(List.of(TlsSupport.SSL_HANDLER_NAME, TlsSupport.MONITOR_NAME, RequestDeadline.NAME),
                    ch.pipeline().names().subList(0, 3));
            assertEquals(HeraldServerConfig.defaults().handshakeTimeout().toMillis(),
                    ch.pipeline().get(SslHandler.class).getHandshakeTimeoutMillis());

            ch.writeInbound(Unpooled.copiedBuffer("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n",
                    StandardCharsets.US_ASCII));
            ch.checkException(); // the TLS error stopped at the monitor: nothing reached the end of the pipeline
            assertFalse(ch.isOpen(), "closed");
            assertNull(ch.readInbound(), "nothing reached the HTTP handlers");
            ServerMetrics metrics = initializer.context().metrics();
            assertEquals(1, metrics.tlsHandshakeFailures());
            assertEquals(0, metrics.httpResponses(4), "no HTTP answer");
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void theBuildersTakeOneServerContext() throws SSLException {
        SslContext clientContext = SslContextBuilder.forClient().build();
        assertThrows(IllegalArgumentException.class, () -> HeraldServer.builder().sslContext(clientContext));
        HeraldServer.Builder builder = HeraldServer.builder().sslContext(sslContext);
        assertThrows(IllegalStateException.class, () -> builder.sslContext(sslContext));
        try (Broker<RawJson> broker = Broker.<RawJson>builder().build()) {
            HeraldChannelInitializer.Builder initializer = HeraldChannelInitializer.builder(broker,
                    HeraldServerConfig.defaults());
            assertThrows(IllegalArgumentException.class, () -> initializer.sslContext(clientContext));
            initializer.sslContext(sslContext);
            assertThrows(IllegalStateException.class, () -> initializer.sslContext(sslContext));
        }
        SslContext http2 = SslContextBuilder.forServer(certificate.certificateFile().toFile(),
                        certificate.privateKeyFile().toFile())
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, "h2", "http/1.1"))
                .build();
        IllegalArgumentException alpn = assertThrows(IllegalArgumentException.class,
                () -> HeraldServer.builder().sslContext(http2));
        assertTrue(alpn.getMessage().contains("[h2, http/1.1]"), alpn.getMessage());
        SslContext http11 = SslContextBuilder.forServer(certificate.certificateFile().toFile(),
                        certificate.privateKeyFile().toFile())
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, "http/1.1"))
                .build();
        HeraldServer.builder().sslContext(http11); // accepted
        HeraldServer plain = HeraldServer.builder().build();
        assertFalse(plain.tls());
        plain.close();
        assertTrue(server.tls());
    }

    @Test
    void theInitializerServesTlsFromABootstrapTheApplicationOwns() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (Broker<RawJson> broker = Broker.<RawJson>builder().history(HistoryPolicy.lastN(10))
                .payloadWeigher(RawJson::size).build()) {
            Channel listener = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(HeraldChannelInitializer.builder(broker, HeraldServerConfig.defaults())
                            .sslContext(sslContext).build())
                    .bind("127.0.0.1", 0).sync().channel();
            try {
                int port = ((InetSocketAddress) listener.localAddress()).getPort();
                HttpResponse<String> published = publish(https, port, "app.tls", "[true]");
                assertEquals(200, published.statusCode(), published.body());
                assertEquals("[true]", broker.history("app.tls", HistoryQuery.all()).toCompletableFuture().join()
                        .messages().get(0).data().json());
            } finally {
                listener.close().sync();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void aGracefulStopClosesWssSessionsWithGoingAway() throws Exception {
        HeraldServer stopping = HeraldServer.builder()
                .config(HeraldServerConfig.builder().host("127.0.0.1").port(0).shutdownTimeout(Duration.ofSeconds(5))
                        .build())
                .sslContext(sslContext)
                .build().start();
        Received received = new Received();
        try {
            WebSocket ws = https.newWebSocketBuilder()
                    .buildAsync(URI.create("wss://127.0.0.1:" + stopping.port() + "/ws"), received)
                    .orTimeout(10, TimeUnit.SECONDS).join();
            ws.sendText("{\"action\":\"subscribe\",\"topic\":\"tls.stop\"}", true).orTimeout(10, TimeUnit.SECONDS)
                    .join();
            assertEquals("subscribed", received.nextJson().get("type"));
        } finally {
            stopping.close();
        }
        assertEquals(1001, received.closeStatus.orTimeout(10, TimeUnit.SECONDS).join());
    }

    /** Reads what the server sends until it closes the connection; fails if it stays open past the timeout. */
    private static String readUntilClosed(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        StringBuilder seen = new StringBuilder();
        byte[] buffer = new byte[1024];
        try {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                seen.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server did not close the connection; it sent: " + seen, e);
        } catch (SocketException e) {
            // reset by the server: closed too
        }
        return seen.toString();
    }

    /** Collects a WebSocket's text messages and its close status. */
    private static final class Received implements WebSocket.Listener {
        final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
        final CompletableFuture<Integer> closeStatus = new CompletableFuture<>();
        private final StringBuilder partial = new StringBuilder();

        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                messages.add(partial.toString());
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closeStatus.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closeStatus.complete(-1);
        }

        Map<String, Object> nextJson() throws InterruptedException {
            String message = messages.poll(10, TimeUnit.SECONDS);
            if (message == null) {
                throw new AssertionError("no message within 10 s" + (closeStatus.isDone()
                        ? "; closed with " + closeStatus.getNow(null) : ""));
            }
            return TestJson.object(message);
        }
    }
}
