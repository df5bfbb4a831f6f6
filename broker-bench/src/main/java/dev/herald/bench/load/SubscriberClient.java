package dev.herald.bench.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.json.JsonFactory;

/**
 * One logical subscriber: a WebSocket connection subscribed to one topic, the check of everything it receives, and
 * its resume position, kept across reconnects. Deliveries are handled on the connection's event loop; counters
 * other threads poll are volatile; the tracker is read by others only after the connection has closed.
 */
final class SubscriberClient {
    private static final JsonFactory JSON = JsonFactory.builder().build();
    /** Prints every control frame to stderr, for finding out what a server answered. */
    private static final boolean DEBUG = Boolean.getBoolean("herald.bench.debug");

    final int index;
    final String topic;
    private final long run;
    /** The node the next connection goes to; changed only while not connected. */
    private volatile URI uri;
    private final ClientLoops loops;
    private final boolean trackOffsets;
    final SequenceTracker tracker = new SequenceTracker();

    volatile Channel channel;
    /** Counts down when the current connection is subscribed; replaced for each phase that waits for it. */
    volatile CountDownLatch liveLatch = new CountDownLatch(0);
    volatile boolean live;
    volatile long liveAtNanos;
    volatile long distinct;
    volatile long stale;
    volatile long errorFrames;
    volatile String lastError;
    volatile long gapFrames;
    volatile int closeCode = -1;
    volatile long unexpectedCloses;
    volatile long notRecovered;
    /** The connection this client closed on purpose; its close is not counted as unexpected. */
    private volatile Channel closedOnPurpose;
    /** Runs once per connection attempt, when it is subscribed or has failed; for connection pacing. */
    volatile Runnable settled;
    /** Runs on the event loop when a connection closes that this client did not close itself; none by default. */
    volatile Runnable onDrop;
    /** Runs on the event loop when the server answers the subscribe with an error; none by default. */
    volatile Runnable onRefused;
    /** Last offset received and the epoch the server reported, for resuming. Loop-confined while connected. */
    private long lastOffset = -1;
    private String epoch;

    SubscriberClient(int index, String topic, long run, URI uri, ClientLoops loops, boolean trackOffsets) {
        this.index = index;
        this.topic = topic;
        this.run = run;
        this.uri = uri;
        this.loops = loops;
        this.trackOffsets = trackOffsets;
    }

    /** Connects and subscribes; with {@code resume}, from the last offset received. */
    ChannelFuture connect(Bootstrap bootstrap, boolean resume) {
        live = false;
        URI target = uri;
        WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(target)
                .handshakeTimeoutMillis(30_000)
                .maxFramePayloadLength(1 << 20)
                .handleCloseFrames(false)
                .dropPongFrames(true)
                // The generator must cost far less per delivery than the server it measures; the payload scan
                // checks the bytes it needs, and a UTF-8 pass over every frame would double the client's work.
                .withUTF8Validator(false)
                .build();
        String subscribe = resume && epoch != null
                ? "{\"action\":\"subscribe\",\"topic\":\"" + topic + "\",\"offset\":" + lastOffset
                        + ",\"epoch\":\"" + epoch + "\"}"
                : "{\"action\":\"subscribe\",\"topic\":\"" + topic + "\"}";
        ChannelFuture future = bootstrap.clone().handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 16),
                        new WebSocketClientProtocolHandler(config), new Handler(subscribe));
            }
        }).connect(target.getHost(), target.getPort());
        channel = future.channel();
        return future;
    }

    /** Makes the next {@link #connect} go to {@code node}. */
    void moveTo(URI node) {
        uri = node;
    }

    /** Runs and forgets {@link #settled}. */
    void settle() {
        Runnable r = settled;
        settled = null;
        if (r != null) {
            r.run();
        }
    }

    /** Closes the connection on purpose (not counted as an unexpected close). */
    ChannelFuture close() {
        Channel current = channel;
        closedOnPurpose = current;
        return current.close();
    }

    private final class Handler extends SimpleChannelInboundHandler<WebSocketFrame> {
        private final String subscribe;
        private final Payload.Fields fields = new Payload.Fields();
        private ClientLoops.LoopStats stats;
        private boolean subscribed;

        Handler(String subscribe) {
            this.subscribe = subscribe;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            stats = loops.stats(ctx.channel().eventLoop());
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
            if (event == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                ctx.writeAndFlush(new TextWebSocketFrame(subscribe));
            }
            super.userEventTriggered(ctx, event);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            if (frame instanceof TextWebSocketFrame) {
                if (Payload.scan(frame.content(), trackOffsets, fields)) {
                    onMessage();
                } else {
                    onControl(ByteBufUtil.getBytes(frame.content()));
                }
            } else if (frame instanceof CloseWebSocketFrame close) {
                closeCode = close.statusCode();
                ctx.close();
            }
        }

        private void onMessage() {
            if (fields.run != run) {
                stale++;
                return;
            }
            stats.record(System.nanoTime() - loops.baseNanos - fields.intendedNanos);
            if (fields.offset >= 0) {
                lastOffset = fields.offset;
            }
            tracker.accept(fields.publisher, fields.sequence);
            distinct = tracker.distinct;
        }

        private void onControl(byte[] json) {
            if (DEBUG) {
                System.err.println("subscriber " + index + " <- " + new String(json, StandardCharsets.UTF_8));
            }
            Map<String, String> reply = parseFlat(json);
            String type = reply.getOrDefault("type", "");
            switch (type) {
                case "subscribed" -> {
                    if (reply.get("epoch") != null) {
                        if (epoch != null && !epoch.equals(reply.get("epoch"))) {
                            notRecovered++;
                        }
                        epoch = reply.get("epoch");
                    }
                    if ("false".equals(reply.get("recovered"))) {
                        notRecovered++;
                    }
                    if (lastOffset < 0 && reply.get("offset") != null) {
                        lastOffset = Long.parseLong(reply.get("offset"));
                    }
                    if (!subscribed) {
                        subscribed = true;
                        liveAtNanos = System.nanoTime();
                        live = true;
                        liveLatch.countDown();
                        settle();
                    }
                }
                case "gap" -> gapFrames++;
                case "error" -> {
                    errorFrames++;
                    lastError = reply.get("code") + ": " + reply.get("message");
                    Runnable refused = onRefused;
                    if (!subscribed && refused != null) {
                        refused.run();
                    }
                }
                default -> {
                    // pong, unsubscribed and future control frames are not part of the measurement
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            live = false;
            boolean dropped = ctx.channel() != closedOnPurpose;
            if (dropped) {
                unexpectedCloses++;
            }
            settle();
            super.channelInactive(ctx);
            Runnable drop = onDrop;
            if (dropped && drop != null) {
                drop.run();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            lastError = cause.toString();
            ctx.close();
        }
    }

    /** The top-level scalar fields of a JSON object, as text; nested values are skipped. */
    static Map<String, String> parseFlat(byte[] json) {
        Map<String, String> fields = new HashMap<>();
        try (JsonParser parser = JSON.createParser(ObjectReadContext.empty(), json)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return fields;
            }
            while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if (value.isScalarValue()) {
                    fields.put(name, parser.getString());
                } else {
                    parser.skipChildren();
                }
            }
        } catch (JacksonException e) {
            fields.put("type", "unparsable");
        }
        return fields;
    }
}
