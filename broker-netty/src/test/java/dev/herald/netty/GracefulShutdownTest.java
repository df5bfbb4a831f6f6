package dev.herald.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.Broker;
import dev.herald.core.PublishResult;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NettyLeakDetectorExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GracefulShutdownTest {
    private final ControllableBroker broker = new ControllableBroker(Broker.<RawJson>builder().build());
    private final CompletableFuture<PublishResult> pending = new CompletableFuture<>();
    private final CountDownLatch publishStarted = new CountDownLatch(1);

    GracefulShutdownTest() {
        broker.onPublish((topic, data) -> {
            publishStarted.countDown();
            return pending;
        });
    }

    @AfterEach
    void closeBroker() {
        broker.close();
    }

    private HeraldServer start(Duration shutdownTimeout) {
        return HeraldServer.builder().broker(broker).config(HeraldServerConfig.builder().host("127.0.0.1").port(0)
                .shutdownTimeout(shutdownTimeout).build()).build().start();
    }

    private static CompletableFuture<HttpResponse<String>> publishAsync(HeraldServer server) {
        return HttpApiIntegrationTest.CLIENT.sendAsync(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + server.port() + "/publish"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"topic\":\"t\",\"data\":1}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static Socket idleConnection(HeraldServer server) throws IOException {
        Socket socket = new Socket("127.0.0.1", server.port());
        socket.setSoTimeout(10_000);
        socket.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertTrue(HttpApiIntegrationTest.RawHttp.readResponse(socket.getInputStream()).startsWith("HTTP/1.1 200"));
        return socket;
    }

    @Test
    void inFlightRequestFinishesWhileIdleConnectionsCloseAndNoNewOnesAreAccepted() throws Exception {
        HeraldServer server = start(Duration.ofSeconds(10));
        int port = server.port();
        try (Socket idle = idleConnection(server)) {
            CompletableFuture<HttpResponse<String>> response = publishAsync(server);
            assertTrue(publishStarted.await(10, TimeUnit.SECONDS));

            AtomicBoolean completed = new AtomicBoolean();
            AtomicBoolean completedBeforeCloseReturned = new AtomicBoolean();
            Thread closer = new Thread(() -> {
                server.close();
                completedBeforeCloseReturned.set(completed.get());
            }, "closer");
            closer.start();

            assertEquals(-1, idle.getInputStream().read(), "an idle keep-alive connection is closed");
            HttpApiIntegrationTest.awaitTrue(() -> {
                try {
                    new Socket("127.0.0.1", port).close();
                    return false;
                } catch (ConnectException refused) {
                    return true;
                } catch (IOException other) {
                    return false;
                }
            }, "the listening socket is closed");
            assertFalse(response.isDone(), "the request in flight is still waiting for the broker");

            completed.set(true);
            pending.complete(broker.delegate().publish("t", RawJson.of("1")).toCompletableFuture().join());
            HttpResponse<String> r = response.get(10, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(1L, TestJson.object(r.body()).get("offset"));
            closer.join(10_000);
            assertFalse(closer.isAlive());
            assertTrue(completedBeforeCloseReturned.get(), "close() returned before the in-flight request finished");
        }
        assertTrue(broker.isOpen(), "a broker the server was given stays open");
    }

    @Test
    void requestsStillInFlightAtTheShutdownTimeoutAreCut() throws Exception {
        HeraldServer server = start(Duration.ofMillis(200));
        CompletableFuture<HttpResponse<String>> response = publishAsync(server);
        assertTrue(publishStarted.await(10, TimeUnit.SECONDS));
        server.close();
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> response.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof IOException, String.valueOf(e.getCause()));
        pending.complete(null); // completing after the close must not fail or leak anything
    }

    @Test
    void webSocketSessionsAreClosedWithGoingAway() throws Exception {
        HeraldServer server = start(Duration.ofSeconds(5));
        CompletableFuture<Integer> closeCode = new CompletableFuture<>();
        AtomicInteger opened = new AtomicInteger();
        WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(
                URI.create("ws://127.0.0.1:" + server.port() + "/ws"), new WebSocket.Listener() {
                    @Override
                    public void onOpen(WebSocket webSocket) {
                        opened.incrementAndGet();
                        webSocket.request(Long.MAX_VALUE);
                    }

                    @Override
                    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                        closeCode.complete(statusCode);
                        return null;
                    }

                    @Override
                    public void onError(WebSocket webSocket, Throwable error) {
                        closeCode.completeExceptionally(error);
                    }
                }).get(10, TimeUnit.SECONDS);
        assertEquals(1, opened.get());
        server.close();
        assertEquals(1001, closeCode.get(10, TimeUnit.SECONDS));
        ws.abort();
    }
}
