package dev.herald.server;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * A WebSocket client of a Herald server on the JDK's {@code java.net.http}: it keeps every message frame it
 * receives, in order, apart from control frames, which the commands wait for. Commands are one at a time per client;
 * the frames are read on the HTTP client's threads.
 */
final class WsTestClient implements AutoCloseable {
    /** Bounds every wait for a reply, so a lost frame fails the test instead of hanging it. */
    static final Duration REPLY_TIMEOUT = Duration.ofSeconds(15);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final String name;
    private final URI uri;
    private final Object lock = new Object();
    // Guarded by lock.
    private final List<Received> messages = new ArrayList<>();
    private final List<Map<String, Object>> controls = new ArrayList<>();
    private final List<String> unreadable = new ArrayList<>();
    private final CompletableFuture<String> ended = new CompletableFuture<>();
    private final WebSocket socket;
    private int requests;

    private WsTestClient(String name, URI uri, HttpClient http) {
        this.name = name;
        this.uri = uri;
        this.socket = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .buildAsync(uri, new Listener()).orTimeout(10, TimeUnit.SECONDS).join();
    }

    /**
     * Opens a connection.
     *
     * @param name for failure messages
     * @param uri  the server's WebSocket URI
     * @return the connected client
     */
    static WsTestClient connect(String name, URI uri) {
        return new WsTestClient(name, uri, HTTP);
    }

    /**
     * Opens a connection through a client of the caller's, one that trusts a test certificate for {@code wss:}.
     *
     * @param name for failure messages
     * @param uri  the server's WebSocket URI
     * @param http the client to connect with
     * @return the connected client
     */
    static WsTestClient connect(String name, URI uri, HttpClient http) {
        return new WsTestClient(name, uri, http);
    }

    String name() {
        return name;
    }

    /**
     * Subscribes live and waits for the {@code subscribed} answer.
     *
     * @param topic a topic name or pattern
     * @return the answer's fields
     */
    Map<String, Object> subscribe(String topic) {
        return command(topic, "{\"action\":\"subscribe\",\"topic\":" + TestJson.quote(topic), "subscribed");
    }

    /**
     * Resumes a topic after {@code offset} of {@code epoch} and waits for the {@code subscribed} answer.
     *
     * @return the answer's fields
     */
    Map<String, Object> resume(String topic, long offset, String epoch) {
        return command(topic, "{\"action\":\"subscribe\",\"topic\":" + TestJson.quote(topic) + ",\"offset\":" + offset
                + ",\"epoch\":" + TestJson.quote(epoch), "subscribed");
    }

    /**
     * Publishes over the socket and waits for the {@code published} answer.
     *
     * @param data the data's JSON text, sent as is
     * @return the answer's fields
     */
    Map<String, Object> publish(String topic, String data) {
        return command(topic, "{\"action\":\"publish\",\"topic\":" + TestJson.quote(topic) + ",\"data\":" + data,
                "published");
    }

    /**
     * Sends a ping and waits for its pong. The server writes a connection's frames in order, so every message
     * queued for this connection before the ping has arrived once this returns.
     */
    void ping() {
        command(null, "{\"action\":\"ping\"", "pong");
    }

    /** Sends a command with a fresh request id and waits for the answer of {@code type} that carries the id. */
    private Map<String, Object> command(String topic, String commandWithoutEnd, String type) {
        String id;
        synchronized (lock) {
            id = name + "-" + ++requests;
        }
        send(commandWithoutEnd + ",\"id\":" + TestJson.quote(id) + "}");
        Map<String, Object> reply = awaitControl(c -> id.equals(c.get("id")));
        if (!type.equals(reply.get("type")) || (topic != null && !topic.equals(reply.get("topic")))) {
            throw new AssertionError(name + ": expected " + type + " for " + topic + ", got " + reply);
        }
        return reply;
    }

    /**
     * Sends one text frame.
     *
     * @param text the frame
     */
    void send(String text) {
        // The JDK refuses a send while another is pending, so sends are serialised.
        synchronized (socket) {
            socket.sendText(text, true).orTimeout(REPLY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).join();
        }
    }

    /** Waits for the next control frame, which must be the one {@code match} expects. */
    private Map<String, Object> awaitControl(Predicate<Map<String, Object>> match) {
        long deadline = System.nanoTime() + REPLY_TIMEOUT.toNanos();
        synchronized (lock) {
            while (true) {
                if (!controls.isEmpty()) {
                    // One command at a time: the first control frame that is not its answer is one nobody asked for.
                    Map<String, Object> control = controls.remove(0);
                    if (match.test(control)) {
                        return control;
                    }
                    throw new AssertionError(name + ": unexpected control frame " + control);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || ended.isDone()) {
                    throw new AssertionError(name + ": no answer within " + REPLY_TIMEOUT + describeEnd());
                }
                waitOn(left);
            }
        }
    }

    /**
     * Waits until a message of {@code topic} with at least {@code offset} has arrived.
     *
     * @param timeout how long to wait
     * @throws AssertionError if it does not arrive in time
     */
    void awaitOffset(String topic, long offset, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (lastOffsetLocked(topic) < offset) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError(name + " (" + uri + "): no message of " + topic + " at offset " + offset
                            + " within " + timeout + "; last offset " + lastOffsetLocked(topic) + describeEnd());
                }
                waitOn(left);
            }
        }
    }

    /**
     * The messages of one topic received so far, in order of arrival.
     *
     * @param topic the topic
     * @return a copy
     */
    List<Received> messages(String topic) {
        synchronized (lock) {
            return messages.stream().filter(m -> m.topic().equals(topic)).toList();
        }
    }

    /**
     * How many messages arrived, of every topic.
     *
     * @return the count
     */
    int messageCount() {
        synchronized (lock) {
            return messages.size();
        }
    }

    /**
     * The offset of the last message of {@code topic} received so far.
     *
     * @return the offset, or 0 if none arrived
     */
    long lastOffset(String topic) {
        synchronized (lock) {
            return lastOffsetLocked(topic);
        }
    }

    private long lastOffsetLocked(String topic) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            if (messages.get(i).topic().equals(topic)) {
                return messages.get(i).offset();
            }
        }
        return 0;
    }

    /**
     * Fails if a control frame arrived that no command asked for (an error, a gap), or a frame that is not a JSON
     * object.
     */
    void assertNoStrayFrames() {
        synchronized (lock) {
            if (!controls.isEmpty() || !unreadable.isEmpty()) {
                throw new AssertionError(name + ": stray frames " + controls + " " + unreadable);
            }
        }
    }

    /**
     * Whether the connection is still open: no close frame and no error yet.
     *
     * @return {@code true} while open
     */
    boolean isOpen() {
        return !ended.isDone();
    }

    /**
     * Waits until the connection ends, by a close frame or an error.
     *
     * @param timeout how long to wait
     * @return how it ended
     * @throws AssertionError if it is still open after {@code timeout}
     */
    String awaitEnd(Duration timeout) {
        try {
            return ended.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError(name + ": connection to " + uri + " still open after " + timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(name + ": interrupted", e);
        } catch (ExecutionException e) {
            throw new AssertionError(name + ": " + e.getCause(), e.getCause());
        }
    }

    private String describeEnd() {
        return ended.isDone() ? "; connection ended: " + ended.getNow(null) : "";
    }

    private void waitOn(long nanos) {
        try {
            TimeUnit.NANOSECONDS.timedWait(lock, nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(name + ": interrupted", e);
        }
    }

    @Override
    public void close() {
        if (!socket.isOutputClosed()) {
            try {
                synchronized (socket) {
                    socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(5, TimeUnit.SECONDS)
                            .exceptionally(e -> null).join();
                }
            } catch (RuntimeException e) {
                // Best effort: the connection is aborted below regardless.
            }
        }
        socket.abort();
    }

    @Override
    public String toString() {
        return name + "@" + uri;
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
                String text = partial.toString();
                partial.setLength(0);
                synchronized (lock) {
                    try {
                        Map<String, Object> fields = TestJson.object(text);
                        if (fields.containsKey("type")) {
                            controls.add(fields);
                        } else {
                            messages.add(Received.of(text));
                        }
                    } catch (RuntimeException e) {
                        unreadable.add(text + " (" + e + ")");
                    }
                    lock.notifyAll();
                }
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            end("closed with " + statusCode + " " + reason);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            end("failed: " + error);
        }

        private void end(String how) {
            synchronized (lock) {
                ended.complete(how);
                lock.notifyAll();
            }
        }
    }
}
