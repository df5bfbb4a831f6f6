package dev.herald.examples.nodes;

import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.json.JsonFactory;

/**
 * Several nodes: a WebSocket client that follows one topic across the nodes of a Herald deployment that shares
 * topics through Redis. It subscribes on the first node; when that connection ends (the node stopped or died), it
 * connects to the next node and resumes from the offset of the last message it printed and the epoch the first
 * {@code subscribed} answer gave it, so it misses nothing that history still holds, and prints nothing twice.
 * Every node knows the same offsets and epochs, so any of them can take over.
 *
 * <p>Run two nodes on one Redis (see the README's "Several nodes"), build with
 * {@code ./mvnw -B -q -pl broker-examples -am package -DskipTests}, then
 * {@code java -cp broker-server/target/herald-server.jar:broker-examples/target/classes
 * dev.herald.examples.nodes.Follower ws://localhost:8081/ws,ws://localhost:8082/ws notifications}.
 */
public final class Follower implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final JsonFactory JSON = new JsonFactory();

    private final List<URI> nodes;
    private final String topic;
    private final PrintStream out;
    private volatile boolean closed;
    private volatile WebSocket socket;
    /** Where the follower is in the topic's stream: what it resumes from. */
    private volatile long lastOffset;
    private volatile String epoch;
    private int next;

    private Follower(List<URI> nodes, String topic, PrintStream out) {
        this.nodes = nodes;
        this.topic = topic;
        this.out = out;
    }

    /**
     * Follows a topic until Ctrl-C.
     *
     * @param args the nodes' WebSocket URLs, comma-separated, then the topic
     * @throws InterruptedException if interrupted
     */
    public static void main(String[] args) throws InterruptedException {
        if (args.length != 2) {
            System.err.println("usage: Follower ws://host:port/ws[,ws://host:port/ws...] topic");
            System.exit(2);
        }
        List<URI> nodes = new ArrayList<>();
        for (String url : args[0].split(",")) {
            nodes.add(URI.create(url.strip()));
        }
        Follower follower = start(nodes, args[1], System.out);
        Runtime.getRuntime().addShutdownHook(new Thread(follower::close, "follower-shutdown"));
        new CountDownLatch(1).await();
    }

    /**
     * Starts following; connects in the background, and again after every lost connection.
     *
     * @param nodes the nodes, tried in turn
     * @param topic the topic
     * @param out   where messages and changes of node are printed, one line each
     * @return the follower; close it to stop
     */
    public static Follower start(List<URI> nodes, String topic, PrintStream out) {
        Follower follower = new Follower(List.copyOf(nodes), topic, out);
        follower.connectNext(0);
        return follower;
    }

    /** The offset of the last message printed, 0 before the first. */
    public long lastOffset() {
        return lastOffset;
    }

    private void connectNext(long delayMillis) {
        if (closed) {
            return;
        }
        URI node = nodes.get(next++ % nodes.size());
        CompletableFuture.delayedExecutor(delayMillis, TimeUnit.MILLISECONDS).execute(() ->
                HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(2)).buildAsync(node, new Listener(node))
                        .whenComplete((ws, failure) -> {
                            if (failure != null) {
                                out.println("cannot reach " + node + "; trying the next node");
                                connectNext(Math.min(2000, Math.max(100, delayMillis * 2)));
                            }
                        }));
    }

    private String subscribeCommand() {
        // The first time live; after that from where it is, so the node replays what it missed.
        return epoch == null
                ? "{\"action\":\"subscribe\",\"topic\":\"" + topic + "\"}"
                : "{\"action\":\"subscribe\",\"topic\":\"" + topic + "\",\"offset\":" + lastOffset + ",\"epoch\":\""
                        + epoch + "\"}";
    }

    /** Stops following and closes the connection. */
    @Override
    public void close() {
        closed = true;
        WebSocket current = socket;
        if (current != null) {
            current.abort();
        }
    }

    private final class Listener implements WebSocket.Listener {
        private final URI node;
        private final StringBuilder partial = new StringBuilder();

        Listener(URI node) {
            this.node = node;
        }

        @Override
        public void onOpen(WebSocket webSocket) {
            socket = webSocket;
            out.println((epoch == null ? "subscribing on " : "resuming on ") + node + (epoch == null ? ""
                    : " after offset " + lastOffset + " of epoch " + epoch));
            webSocket.sendText(subscribeCommand(), true);
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                onFrame(partial.toString());
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            lost("closed (" + statusCode + (reason.isEmpty() ? "" : " " + reason) + ")");
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            lost("lost (" + error.getClass().getSimpleName() + ")");
        }

        private void lost(String how) {
            if (!closed) {
                out.println("connection to " + node + " " + how + "; resuming on the next node");
                connectNext(100);
            }
        }
    }

    /** A server frame: a message (no "type"), or a control frame. */
    private void onFrame(String text) {
        String type = null;
        String frameEpoch = null;
        String recovered = null;
        long offset = -1;
        String data = null;
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        try (JsonParser p = JSON.createParser(ObjectReadContext.empty(), bytes)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return;
            }
            while (p.nextToken() == JsonToken.PROPERTY_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                switch (name) {
                    case "type" -> type = p.getString();
                    case "epoch" -> frameEpoch = p.getString();
                    case "offset" -> offset = p.getLongValue();
                    case "recovered" -> recovered = String.valueOf(value == JsonToken.VALUE_TRUE);
                    case "data" -> {
                        int start = (int) p.currentTokenLocation().getByteOffset();
                        p.skipChildren();
                        p.finishToken();
                        data = new String(bytes, start, (int) p.currentLocation().getByteOffset() - start,
                                StandardCharsets.UTF_8);
                    }
                    default -> p.skipChildren();
                }
            }
        }
        if (type == null) {
            if (offset > lastOffset) {
                lastOffset = offset;
                out.println("offset " + offset + ": " + data);
            }
        } else if (type.equals("subscribed")) {
            if (epoch == null) {
                // Live from here: a later resume asks only for what comes after this position.
                lastOffset = offset;
            } else if (!epoch.equals(frameEpoch)) {
                // The topic's history started over (Redis lost it): offsets count from 1 again, and the node
                // replays what the new epoch retains.
                out.println("the topic's history started over in epoch " + frameEpoch + "; messages may be lost");
                lastOffset = 0;
            }
            epoch = frameEpoch;
            out.println("subscribed to " + topic + " at offset " + offset
                    + (recovered == null ? "" : recovered.equals("true") ? ", nothing missed"
                    : ", could not recover everything"));
        } else if (type.equals("error")) {
            out.println("error: " + text);
        }
    }
}
