package dev.herald.bench.reference;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The reference server: Herald's wire format on bare Netty and nothing else. WebSocket at {@code /ws} with the
 * actions {@code {"action":"subscribe","topic":"t"}} and {@code {"action":"publish","topic":"t","data":...}};
 * {@code POST /publish} with {@code {"topic":"t","data":...}}; delivered messages are
 * {@code {"id","topic","offset","timestamp","data"}}. No history, no resume, no limits beyond a bounded outbox
 * per event loop and dropping frames for unwritable channels. It measures what the JVM and Netty can do on the
 * machine, so Herald's figures have a floor to be compared with.
 *
 * <p>Thread-safe; {@link #close()} is idempotent.
 */
public final class ReferenceServer implements AutoCloseable {
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel serverChannel;
    private final ReferenceHub hub;

    private ReferenceServer(EventLoopGroup boss, EventLoopGroup workers, Channel serverChannel, ReferenceHub hub) {
        this.boss = boss;
        this.workers = workers;
        this.serverChannel = serverChannel;
        this.hub = hub;
    }

    /**
     * Starts a server.
     *
     * @param host    address to bind, e.g. {@code "127.0.0.1"}
     * @param port    port to bind, 0 for any free one
     * @param threads worker event loops
     * @return the running server
     * @throws InterruptedException if interrupted while binding
     */
    public static ReferenceServer start(String host, int port, int threads) throws InterruptedException {
        ReferenceHub hub = new ReferenceHub();
        EventLoopGroup boss = Transport.group(1, "reference-boss");
        EventLoopGroup workers = Transport.group(threads, "reference-worker");
        WebSocketServerProtocolConfig websocket = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath("/ws")
                .checkStartsWith(false)
                .maxFramePayloadLength(64 * 1024)
                .handshakeTimeoutMillis(10_000)
                .build();
        try {
            Channel channel = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(Transport.serverChannel())
                    .option(ChannelOption.SO_BACKLOG, 4096)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                            new WriteBufferWaterMark(128 * 1024, 256 * 1024))
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ChannelPipeline pipeline = ch.pipeline();
                            pipeline.addLast(new HttpServerCodec());
                            pipeline.addLast(new HttpObjectAggregator(1 << 20));
                            pipeline.addLast(new ReferenceHttpHandler(hub, "/ws"));
                            pipeline.addLast(new WebSocketServerProtocolHandler(websocket));
                            pipeline.addLast(new ReferenceWebSocketHandler(hub));
                        }
                    })
                    .bind(host, port).sync().channel();
            return new ReferenceServer(boss, workers, channel, hub);
        } catch (InterruptedException | RuntimeException e) {
            boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
    }

    /**
     * The bound address.
     *
     * @return address and port
     */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /**
     * Frames not written because a channel was unwritable or an outbox was full.
     *
     * @return the count since start
     */
    public long droppedFrames() {
        return hub.droppedFrames();
    }

    /** Closes the listening socket and all connections and waits for the event loops to stop. */
    @Override
    public void close() {
        serverChannel.close().syncUninterruptibly();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /**
     * Runs the server until the process is stopped. Prints {@code LISTENING <port>} once bound.
     *
     * @param args {@code [--host H] [--port P] [--threads N]}
     * @throws InterruptedException if interrupted
     */
    public static void main(String[] args) throws InterruptedException {
        String host = "127.0.0.1";
        int port = 8090;
        int threads = Runtime.getRuntime().availableProcessors();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--host" -> host = args[++i];
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown flag " + args[i]
                        + "; usage: [--host H] [--port P] [--threads N]");
            }
        }
        ReferenceServer server = start(host, port, threads);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "reference-shutdown"));
        System.out.println("LISTENING " + server.localAddress().getPort() + " transport=" + Transport.name());
        System.out.flush();
        stopped.await();
    }
}
