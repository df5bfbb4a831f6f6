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
    void inFlightRequestFinishesWhileEveryOtherRequestGets503UntilTheStopIsDone() throws Exception {
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

            // While the publish is in flight the server goes on listening, and says it is stopping: a health
            // check on a new connection, and the next request on the idle one, get 503 and a close.
            HttpApiIntegrationTest.awaitTrue(() -> {
                try (Socket probe = new Socket("127.0.0.1", port)) {
                    probe.setSoTimeout(10_000);
                    probe.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                    return HttpApiIntegrationTest.RawHttp.readResponse(probe.getInputStream())
                            .startsWith("HTTP/1.1 503 ");
                } catch (IOException e) {
                    return false;
                }
            }, "health answers 503 while the server stops");
            idle.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String refused = HttpApiIntegrationTest.RawHttp.readResponse(idle.getInputStream());
            assertTrue(refused.startsWith("HTTP/1.1 503 "), refused);
            assertTrue(refused.toLowerCase(java.util.Locale.ROOT).contains("connection: close"), refused);
            assertTrue(refused.contains("\"code\":\"unavailable\""), refused);
            assertEquals(-1, idle.getInputStream().read(), "and then closed");
            assertFalse(response.isDone(), "the request in flight is still waiting for the broker");

            completed.set(true);
            pending.complete(broker.delegate().publish("t", RawJson.of("1")).toCompletableFuture().join());
            HttpResponse<String> r = response.get(10, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(1L, TestJson.object(r.body()).get("offset"));
            closer.join(10_000);
            assertFalse(closer.isAlive());
            assertTrue(completedBeforeCloseReturned.get(), "close() returned before the in-flight request finished");
            org.junit.jupiter.api.Assertions.assertThrows(ConnectException.class,
                    () -> new Socket("127.0.0.1", port).close(), "nothing listens once the stop is done");
        }
        assertTrue(broker.isOpen(), "a broker the server was given stays open");
    }

    /** Regression: the stop closed a connection whose request body was still arriving, without an answer. */
    @Test
    void aRequestWhoseBodyIsStillArrivingIsAnsweredBeforeTheConnectionCloses() throws Exception {
        HeraldServer server = start(Duration.ofSeconds(10));
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            String body = "{\"topic\":\"t\",\"data\":\"arriving slowly\"}";
            socket.getOutputStream().write(("POST /publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length() + "\r\n\r\n" + body.substring(0, 10))
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            // Until the first bytes are read, the connection is idle to the stop, which closes it as such.
            HttpApiIntegrationTest.awaitTrue(() -> server.connectionsWithRequests() == 1,
                    "the server has begun to read the request");
            Thread closer = new Thread(server::close, "closer");
            closer.start();
            Thread.sleep(200); // the stop is under way while the rest of the body is still to come
            assertTrue(closer.isAlive(), "the stop waits for the request");
            socket.getOutputStream().write(body.substring(10).getBytes(StandardCharsets.US_ASCII));
            String answer = HttpApiIntegrationTest.RawHttp.readResponse(socket.getInputStream());
            assertTrue(answer.startsWith("HTTP/1.1 503 "), answer);
            assertTrue(answer.contains("\"code\":\"unavailable\""), answer);
            assertEquals(-1, socket.getInputStream().read(), "then closed");
            closer.join(10_000);
            assertFalse(closer.isAlive());
        }
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
