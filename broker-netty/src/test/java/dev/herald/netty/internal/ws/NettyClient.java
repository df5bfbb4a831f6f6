package dev.herald.netty.internal.ws;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bare Netty WebSocket client: handshake, then every frame as it comes. It never answers pings (so the server's
 * idle timeout can be tested) and can stop reading ({@link #setAutoRead}) to play a slow consumer.
 */
final class NettyClient implements AutoCloseable {
    private static final EventLoopGroup GROUP =
            new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("test-ws-client", true),
                    NioIoHandler.newFactory());

    final BlockingQueue<String> received = new LinkedBlockingQueue<>();
    final CompletableFuture<Integer> closeStatus = new CompletableFuture<>();
    final AtomicInteger pings = new AtomicInteger();
    final AtomicInteger textFrames = new AtomicInteger();
    private final CompletableFuture<Void> handshake = new CompletableFuture<>();
    private final Channel channel;

    private NettyClient(int port) throws InterruptedException {
        URI uri = URI.create("ws://127.0.0.1:" + port + "/ws");
        WebSocketClientHandshaker handshaker = WebSocketClientHandshakerFactory.newHandshaker(uri,
                WebSocketVersion.V13, null, false, new DefaultHttpHeaders(), 1 << 20);
        Bootstrap bootstrap = new Bootstrap().group(GROUP).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(65536),
                                new Handler(handshaker));
                    }
                });
        channel = bootstrap.connect("127.0.0.1", port).sync().channel();
        handshake.orTimeout(10, TimeUnit.SECONDS).join();
    }

    static NettyClient connect(int port) throws InterruptedException {
        return new NettyClient(port);
    }

    void send(String text) {
        channel.writeAndFlush(new TextWebSocketFrame(text)).syncUninterruptibly();
    }

    void send(WebSocketFrame frame) {
        channel.writeAndFlush(frame).syncUninterruptibly();
    }

    Map<String, Object> nextJson() throws InterruptedException {
        String message = received.poll(10, TimeUnit.SECONDS);
        if (message == null) {
            throw new AssertionError("no message within 10 s");
        }
        return TestJson.object(message);
    }

    void setAutoRead(boolean autoRead) {
        channel.config().setAutoRead(autoRead);
        if (autoRead) {
            channel.read();
        }
    }

    boolean awaitClosed(int seconds) throws InterruptedException {
        return channel.closeFuture().await(seconds, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }

    private final class Handler extends SimpleChannelInboundHandler<Object> {
        private final WebSocketClientHandshaker handshaker;

        Handler(WebSocketClientHandshaker handshaker) {
            this.handshaker = handshaker;
        }

        /**
         * Starts the handshake on the event loop: the handshaker adds its frame encoder in a listener of the request's
         * write, and started from another thread that listener can run after the response has been read and the
         * HTTP codec removed, failing the handshake.
         */
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            handshaker.handshake(ctx.channel()).addListener(f -> {
                if (!f.isSuccess()) {
                    handshake.completeExceptionally(f.cause());
                }
            });
            ctx.fireChannelActive();
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
            if (!handshaker.isHandshakeComplete()) {
                handshaker.finishHandshake(ctx.channel(), (FullHttpResponse) msg);
                handshake.complete(null);
                return;
            }
            if (msg instanceof TextWebSocketFrame text) {
                textFrames.incrementAndGet();
                received.add(text.text());
            } else if (msg instanceof PingWebSocketFrame) {
                pings.incrementAndGet();
            } else if (msg instanceof CloseWebSocketFrame close) {
                closeStatus.complete(close.statusCode());
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            closeStatus.complete(-1);
            handshake.completeExceptionally(new IllegalStateException("closed before the handshake"));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
