package dev.herald.netty.internal.ws;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** A WebSocket client on the JDK's java.net.http, collecting every text message and the close status. */
final class JdkClient implements AutoCloseable {
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final BlockingQueue<String> received = new LinkedBlockingQueue<>();
    final CompletableFuture<Integer> closeStatus = new CompletableFuture<>();
    final AtomicInteger pings = new AtomicInteger();
    private final WebSocket socket;

    private JdkClient(URI uri, String... headers) {
        Listener listener = new Listener();
        WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
        for (int i = 0; i < headers.length; i += 2) {
            builder.header(headers[i], headers[i + 1]);
        }
        this.socket = builder.buildAsync(uri, listener).orTimeout(10, TimeUnit.SECONDS).join();
    }

    /** Connects with extra upgrade request headers, given as name, value, name, value... */
    static JdkClient connectWithHeaders(int port, String... headers) {
        return new JdkClient(URI.create("ws://127.0.0.1:" + port + "/ws"), headers);
    }

    static JdkClient connect(int port) {
        return new JdkClient(URI.create("ws://127.0.0.1:" + port + "/ws"));
    }

    /** Connects to the WebSocket path with a query string, as clients that pass a token in the URL do. */
    static JdkClient connect(int port, String query) {
        return new JdkClient(URI.create("ws://127.0.0.1:" + port + "/ws?" + query));
    }

    void send(String text) {
        socket.sendText(text, true).orTimeout(10, TimeUnit.SECONDS).join();
    }

    /** The next text message, waiting at most 10 seconds. */
    String next() throws InterruptedException {
        String message = received.poll(10, TimeUnit.SECONDS);
        if (message == null) {
            throw new AssertionError("no message within 10 s" + (closeStatus.isDone()
                    ? "; closed with " + closeStatus.getNow(null) : ""));
        }
        return message;
    }

    Map<String, Object> nextJson() throws InterruptedException {
        return TestJson.object(next());
    }

    Map<String, Object> exchange(String command) throws InterruptedException {
        send(command);
        return nextJson();
    }

    /** The close status the server sent, waiting at most {@code seconds}. */
    int awaitClose(int seconds) {
        return closeStatus.orTimeout(seconds, TimeUnit.SECONDS).join();
    }

    @Override
    public void close() {
        if (!socket.isOutputClosed()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(5, TimeUnit.SECONDS)
                    .exceptionally(e -> null).join();
        }
        socket.abort();
    }

    /** Aborts the TCP connection without a close handshake. */
    void abort() {
        socket.abort();
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                received.add(partial.toString());
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
            pings.incrementAndGet();
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
    }
}
