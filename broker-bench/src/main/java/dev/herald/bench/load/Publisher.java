package dev.herald.bench.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.URI;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * An open-loop publisher: message {@code k} is due at {@code start + k / rate}, whatever happened to earlier ones,
 * and carries that intended time, so latency includes any wait for the connection or the server (no coordinated
 * omission). A 1 ms ticker on the publisher's event loop sends what is due; over WebSocket it writes all due
 * messages while the channel is writable and flushes once; over HTTP keep-alive one request is in flight and the
 * next due one goes out when its response arrives. Message {@code k} goes to topic {@code (k + index) % topics}
 * with that topic's next sequence number. All state is confined to the event loop.
 */
abstract class Publisher {
    final int index;
    private final String[] topics;
    private final long run;
    private final double periodNanos;
    private final long limit;
    final Payload payload;
    final ClientLoops loops;
    final URI uri;
    private final long[] sentPerTopic;
    private long emitted;
    private long startNanos;
    private ScheduledFuture<?> ticker;
    final CountDownLatch ready = new CountDownLatch(1);
    volatile long acks;
    volatile long errors;
    volatile String lastError;
    Channel channel;
    /**
     * Whether acknowledgements are recorded by message: over WebSocket each command then carries an id naming its
     * message ({@code topic * ID_TOPIC + sequence}), which the server copies into its answer. Off by default, to
     * leave the commands of the other runs as they are.
     */
    boolean tagged;
    /** Per topic, the sequences the server acknowledged (tagged publishers only); loop-confined. */
    private final BitSet[] acknowledged;
    /** The topic index and sequence of the message being sent, for {@link #send} and the HTTP publisher. */
    int currentTopic;
    long currentSequence;
    static final long ID_TOPIC = 1_000_000_000_000L;

    Publisher(int index, String[] topics, long run, double ratePerSecond, long limit, int payloadBytes,
            ClientLoops loops, URI uri) {
        this.index = index;
        this.topics = topics;
        this.run = run;
        this.periodNanos = 1e9 / ratePerSecond;
        this.limit = limit;
        this.payload = new Payload(payloadBytes);
        this.loops = loops;
        this.uri = uri;
        this.sentPerTopic = new long[topics.length];
        this.acknowledged = new BitSet[topics.length];
        for (int t = 0; t < topics.length; t++) {
            acknowledged[t] = new BitSet();
        }
    }

    static Publisher create(boolean http, int index, String[] topics, long run, double ratePerSecond, long limit,
            int payloadBytes, ClientLoops loops, URI uri) {
        return http
                ? new HttpPublisher(index, topics, run, ratePerSecond, limit, payloadBytes, loops, uri)
                : new WebSocketPublisher(index, topics, run, ratePerSecond, limit, payloadBytes, loops, uri);
    }

    abstract ChannelFuture connect(Bootstrap bootstrap);

    /** Starts sending at {@code startNanos} (a {@link System#nanoTime()} value). */
    void start(long startAt) {
        channel.eventLoop().execute(() -> {
            startNanos = startAt;
            ticker = channel.eventLoop().scheduleAtFixedRate(this::tick, 0, 1, TimeUnit.MILLISECONDS);
        });
    }

    /** Stops sending; the future holds how many messages went to each topic. */
    Future<long[]> stop() {
        return channel.eventLoop().submit(() -> {
            if (ticker != null) {
                ticker.cancel(false);
            }
            return sentPerTopic.clone();
        });
    }

    /**
     * The messages sent but not acknowledged so far (refused, or not answered), as {topic index, sequence}; taken
     * on the publisher's loop. Only a tagged publisher knows which were acknowledged.
     */
    Future<List<long[]>> unacknowledged() {
        return channel.eventLoop().submit(() -> {
            List<long[]> missing = new ArrayList<>();
            for (int t = 0; t < topics.length; t++) {
                for (long seq = acknowledged[t].nextClearBit(0); seq < sentPerTopic[t];
                        seq = acknowledged[t].nextClearBit((int) seq + 1)) {
                    missing.add(new long[] {t, seq});
                }
            }
            return missing;
        });
    }

    /** Records that the message a tagged command named ({@code topic * ID_TOPIC + sequence}) was acknowledged. */
    final void acknowledged(long tag) {
        acknowledged[(int) (tag / ID_TOPIC)].set((int) (tag % ID_TOPIC));
    }

    /** How many messages are due by now. */
    final long due() {
        long elapsed = System.nanoTime() - startNanos;
        return elapsed < 0 ? 0 : Math.min(limit, (long) (elapsed / periodNanos) + 1);
    }

    final boolean behind() {
        return emitted < due();
    }

    /** Builds the next due message and hands it to {@link #send}. */
    final void emitNext() {
        long k = emitted++;
        int topic = (int) ((k + index) % topics.length);
        long sequence = sentPerTopic[topic]++;
        long intended = startNanos + (long) (k * periodNanos) - loops.baseNanos;
        currentTopic = topic;
        currentSequence = sequence;
        send(topics[topic], run, sequence, intended);
    }

    abstract void tick();

    abstract void send(String topic, long runId, long sequence, long intendedNanos);

    void closeChannel() {
        if (channel != null) {
            channel.close();
        }
    }

    private static final class WebSocketPublisher extends Publisher {
        WebSocketPublisher(int index, String[] topics, long run, double rate, long limit, int payloadBytes,
                ClientLoops loops, URI uri) {
            super(index, topics, run, rate, limit, payloadBytes, loops, uri);
        }

        @Override
        ChannelFuture connect(Bootstrap bootstrap) {
            WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                    .webSocketUri(uri).handshakeTimeoutMillis(30_000).maxFramePayloadLength(1 << 20)
                    .withUTF8Validator(false).build();
            ChannelFuture future = bootstrap.clone(loops.publisherGroup).handler(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 16),
                            new WebSocketClientProtocolHandler(config), new Replies());
                }
            }).connect(uri.getHost(), uri.getPort());
            channel = future.channel();
            return future;
        }

        @Override
        void tick() {
            boolean wrote = false;
            while (channel.isWritable() && behind()) {
                emitNext();
                wrote = true;
            }
            if (wrote) {
                channel.flush();
            }
        }

        @Override
        void send(String topic, long runId, long sequence, long intendedNanos) {
            CharSequence command = tagged
                    ? payload.wsPublish(topic, runId, index, sequence, intendedNanos,
                            currentTopic * ID_TOPIC + currentSequence)
                    : payload.wsPublish(topic, runId, index, sequence, intendedNanos);
            ByteBuf content = channel.alloc().buffer(command.length());
            ByteBufUtil.writeUtf8(content, command);
            channel.write(new TextWebSocketFrame(content), channel.voidPromise());
        }

        private final class Replies extends SimpleChannelInboundHandler<WebSocketFrame> {
            private static final byte[] ERROR = "\"type\":\"error\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
                if (event == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                    ready.countDown();
                }
                super.userEventTriggered(ctx, event);
            }

            @Override
            protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
                ByteBuf content = frame.content();
                if (Payload.indexOf(content, content.readerIndex(), content.writerIndex(), ERROR) >= 0) {
                    errors++;
                    lastError = content.toString(java.nio.charset.StandardCharsets.UTF_8);
                } else {
                    acks++;
                    String id = tagged ? SubscriberClient.parseFlat(ByteBufUtil.getBytes(content)).get("id") : null;
                    if (id != null) {
                        acknowledged(Long.parseLong(id));
                    }
                }
            }

            @Override
            public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
                if (ctx.channel().isWritable()) {
                    tick();
                }
                super.channelWritabilityChanged(ctx);
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                lastError = cause.toString();
                ctx.close();
            }
        }
    }

    private static final class HttpPublisher extends Publisher {
        private boolean inFlight;
        private long inFlightTag;

        HttpPublisher(int index, String[] topics, long run, double rate, long limit, int payloadBytes,
                ClientLoops loops, URI uri) {
            super(index, topics, run, rate, limit, payloadBytes, loops, uri);
        }

        @Override
        ChannelFuture connect(Bootstrap bootstrap) {
            ChannelFuture future = bootstrap.clone(loops.publisherGroup).handler(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 16), new Responses());
                }
            }).connect(uri.getHost(), uri.getPort());
            channel = future.channel();
            future.addListener(f -> {
                if (f.isSuccess()) {
                    ready.countDown();
                }
            });
            return future;
        }

        @Override
        void tick() {
            if (!inFlight && behind()) {
                emitNext();
            }
        }

        @Override
        void send(String topic, long runId, long sequence, long intendedNanos) {
            CharSequence body = payload.httpPublish(topic, runId, index, sequence, intendedNanos);
            ByteBuf content = channel.alloc().buffer(body.length());
            ByteBufUtil.writeUtf8(content, body);
            FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/publish",
                    content);
            request.headers().set(HttpHeaderNames.HOST, uri.getHost() + ":" + uri.getPort())
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
            inFlight = true;
            inFlightTag = currentTopic * ID_TOPIC + currentSequence;
            channel.writeAndFlush(request, channel.voidPromise());
        }

        private final class Responses extends SimpleChannelInboundHandler<FullHttpResponse> {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
                inFlight = false;
                if (response.status().code() / 100 == 2) {
                    acks++;
                    if (tagged) {
                        acknowledged(inFlightTag);
                    }
                } else {
                    errors++;
                    lastError = response.status() + " " + response.content()
                            .toString(java.nio.charset.StandardCharsets.UTF_8);
                }
                tick();
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                lastError = cause.toString();
                ctx.close();
            }
        }
    }
}
