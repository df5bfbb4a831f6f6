package dev.herald.netty;

import dev.herald.core.Broker;
import dev.herald.core.policy.HistoryPolicy;
import dev.herald.core.spi.EngineStatus;
import dev.herald.netty.auth.Authorizer;
import dev.herald.netty.internal.HttpRequestRouter;
import dev.herald.netty.internal.ServerContext;
import dev.herald.netty.internal.TlsSupport;
import dev.herald.netty.internal.ws.WebSocketSupport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Herald server: HTTP publish, history, health and metrics endpoints and WebSocket subscriptions in front of one
 * {@link Broker}, on Netty. Uses the native epoll transport where available and NIO otherwise.
 *
 * <pre>{@code
 * try (HeraldServer server = HeraldServer.builder()
 *         .config(HeraldServerConfig.builder().port(8080).build())
 *         .build()
 *         .start()) {
 *     server.broker().publish("notifications", RawJson.of("{\"message\":\"Hello\"}"));
 *     ...
 * }
 * }</pre>
 *
 * <p>Thread contract: thread-safe. {@link #start()} and {@link #close()} block the caller and must not be called
 * from one of the server's event loops.
 */
public final class HeraldServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HeraldServer.class);

    private enum State { NEW, STARTED, CLOSED }

    private final HeraldServerConfig config;
    private final Broker<RawJson> broker;
    private final boolean ownsBroker;
    private final EventLoopGroup suppliedBoss;
    private final EventLoopGroup suppliedWorker;
    private final HeraldChannelInitializer initializer;
    private final SslContext sslContext;
    private final Object lock = new Object();

    private State state = State.NEW;
    private EventLoopGroup boss;
    private EventLoopGroup worker;
    private boolean ownsGroups;
    private Channel serverChannel;
    private volatile InetSocketAddress localAddress;

    private HeraldServer(Builder b) {
        config = b.config != null ? b.config : HeraldServerConfig.defaults();
        ownsBroker = b.broker == null;
        broker = ownsBroker ? Broker.<RawJson>builder()
                .history(HistoryPolicy.lastN(1000))
                .payloadWeigher(RawJson::size)
                .build() : b.broker;
        suppliedBoss = b.boss;
        suppliedWorker = b.worker;
        HeraldChannelInitializer.Builder initializerBuilder = HeraldChannelInitializer.builder(broker, config);
        if (b.engineStatus != null) {
            initializerBuilder.engineStatus(b.engineStatus);
        }
        if (b.authorizer != null) {
            initializerBuilder.authorizer(b.authorizer);
        }
        if (b.metricsToken != null) {
            initializerBuilder.metricsToken(b.metricsToken);
        }
        sslContext = b.sslContext;
        if (sslContext != null) {
            initializerBuilder.sslContext(sslContext);
        }
        initializer = initializerBuilder.build();
    }

    /**
     * A builder for a server with the default settings and its own in-memory broker.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Binds the listening socket and starts serving. Returns once the socket is bound.
     *
     * @return this server
     * @throws IllegalStateException if already started or closed, or if the socket cannot be bound (the cause
     *                               says why); after a failed start the server is closed
     */
    public HeraldServer start() {
        synchronized (lock) {
            if (state != State.NEW) {
                throw new IllegalStateException("server is " + (state == State.STARTED ? "already started" : "closed"));
            }
            boolean epoll;
            if (suppliedWorker != null) {
                boss = suppliedBoss;
                worker = suppliedWorker;
                ownsGroups = false;
                epoll = worker instanceof IoEventLoopGroup io && io.isIoType(EpollIoHandler.class);
            } else {
                epoll = Epoll.isAvailable();
                boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("herald-accept", true),
                        epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
                worker = new MultiThreadIoEventLoopGroup(0, new DefaultThreadFactory("herald-io", true),
                        epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
                ownsGroups = true;
            }
            Class<? extends ServerChannel> channelClass = epoll ? EpollServerSocketChannel.class
                    : NioServerSocketChannel.class;
            ServerBootstrap bootstrap = new ServerBootstrap()
                    .group(boss, worker)
                    .channel(channelClass)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(initializer);
            ChannelFuture bind = bootstrap.bind(config.host(), config.port()).awaitUninterruptibly();
            if (!bind.isSuccess()) {
                state = State.CLOSED;
                releaseResources(Duration.ZERO);
                throw new IllegalStateException("could not listen on " + config.host() + ":" + config.port(),
                        bind.cause());
            }
            serverChannel = bind.channel();
            localAddress = (InetSocketAddress) serverChannel.localAddress();
            state = State.STARTED;
            LOG.info("Herald listening on {} ({}, WebSocket path {}, {})", localAddress, epoll ? "epoll" : "nio",
                    config.websocketPath(), sslContext == null ? "plain HTTP"
                            : "TLS by " + TlsSupport.providerName(sslContext));
            if (!initializer.context().authorizer().enabled()) {
                LOG.info("Authentication is off: every client may subscribe to, publish to and read every topic");
            }
            return this;
        }
    }

    /**
     * The address the server listens on, with the actual port when configured with port 0.
     *
     * @return the bound address
     * @throws IllegalStateException if not started
     */
    public InetSocketAddress localAddress() {
        InetSocketAddress address = localAddress;
        if (address == null) {
            throw new IllegalStateException("server is not started");
        }
        return address;
    }

    /**
     * The port the server listens on.
     *
     * @return the bound port
     * @throws IllegalStateException if not started
     */
    public int port() {
        return localAddress().getPort();
    }

    /**
     * Whether the server serves HTTPS and WSS: it was built with an {@link Builder#sslContext SslContext}.
     *
     * @return {@code true} with TLS
     */
    public boolean tls() {
        return sslContext != null;
    }

    /**
     * The server's settings.
     *
     * @return the configuration
     */
    public HeraldServerConfig config() {
        return config;
    }

    /**
     * The broker the server serves; publish to it in-process and WebSocket subscribers receive the messages.
     *
     * @return the broker
     */
    public Broker<RawJson> broker() {
        return broker;
    }

    /**
     * Stops the server gracefully and waits for it, at most about {@link HeraldServerConfig#shutdownTimeout()}:
     * answers every new request with 503 and closes its connection (it goes on listening meanwhile, so that health
     * checks see the stop); lets HTTP requests in flight, or still arriving, finish, then closes their connections;
     * closes WebSocket sessions with status 1001 (going away); once no request is left, or at the deadline, stops
     * listening and closes every connection; then shuts down the event loops the server created and the broker if
     * the server created it. Idempotent.
     *
     * @throws IllegalStateException if called from one of the server's event loops
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (state == State.CLOSED) {
                return;
            }
            if (worker != null && (inEventLoop(worker) || boss != null && inEventLoop(boss))) {
                throw new IllegalStateException("close() must not be called from the server's event loop");
            }
            boolean started = state == State.STARTED;
            state = State.CLOSED;
            long deadline = System.nanoTime() + config.shutdownTimeout().toNanos();
            if (started) {
                ServerContext context = initializer.context();
                // Refuse new work first, but go on listening while the work in progress drains: every request meanwhile,
                // a load balancer's health check included, gets 503, on old connections and new ones alike.
                context.beginShutdown();
                if (!drained(context, deadline)) {
                    LOG.warn("{} connections still busy after the shutdown timeout {}; closing them",
                            busyConnections(context), config.shutdownTimeout());
                }
                serverChannel.close().awaitUninterruptibly();
                context.channels().close().awaitUninterruptibly(Math.max(1000, remainingMillis(deadline)));
            }
            releaseResources(Duration.ofMillis(remainingMillis(deadline)));
            LOG.info("Herald stopped{}", localAddress != null ? " on " + localAddress : "");
        }
    }

    /**
     * Waits until no connection has a request in progress and every WebSocket session has closed, or the deadline.
     * Polling is enough: a stop takes milliseconds to seconds, and this runs on the stopping thread.
     */
    private static boolean drained(ServerContext context, long deadline) {
        while (busyConnections(context) > 0) {
            if (remainingMillis(deadline) == 0) {
                return false;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        return true;
    }

    /** Connections whose router has begun to receive or answer a request; for tests. */
    int connectionsWithRequests() {
        int count = 0;
        for (Channel channel : initializer.context().channels()) {
            HttpRequestRouter router = channel.pipeline().get(HttpRequestRouter.class);
            if (router != null && router.busy()) {
                count++;
            }
        }
        return count;
    }

    /** Connections with a request in progress or an open WebSocket session; for tests. */
    int busyConnections() {
        return busyConnections(initializer.context());
    }

    private static int busyConnections(ServerContext context) {
        int busy = 0;
        for (Channel channel : context.channels()) {
            HttpRequestRouter router = channel.pipeline().get(HttpRequestRouter.class);
            if (channel.isActive() && (router == null || router.busy()
                    || channel.pipeline().get(WebSocketSupport.SESSION_HANDLER_NAME) != null)) {
                busy++;
            }
        }
        return busy;
    }

    private void releaseResources(Duration wait) {
        if (ownsGroups) {
            Future<?> b = boss.shutdownGracefully(0, wait.toMillis(), TimeUnit.MILLISECONDS);
            Future<?> w = worker.shutdownGracefully(0, wait.toMillis(), TimeUnit.MILLISECONDS);
            b.awaitUninterruptibly(wait.toMillis() + 1000);
            w.awaitUninterruptibly(wait.toMillis() + 1000);
        }
        if (ownsBroker) {
            broker.close();
        }
    }

    private static long remainingMillis(long deadlineNanos) {
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }

    private static boolean inEventLoop(EventLoopGroup group) {
        for (EventExecutor executor : group) {
            if (executor.inEventLoop()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Builds a {@link HeraldServer}. Not thread-safe. Each setting may be made once.
     */
    public static final class Builder {
        private HeraldServerConfig config;
        private Broker<RawJson> broker;
        private EventLoopGroup boss;
        private EventLoopGroup worker;
        private Supplier<EngineStatus> engineStatus;
        private Authorizer authorizer;
        private String metricsToken;
        private SslContext sslContext;

        private Builder() {
        }

        /**
         * Who may connect, subscribe, publish and read history. The server asks the authorizer about each token a
         * client presents (the {@code token} query parameter or a first {@code auth} command on the WebSocket,
         * {@code Authorization: Bearer} on HTTP) and checks every subscribe, publish and history read against the
         * identity's grants; see {@code docs/PROTOCOL.md}. {@code GET /health} stays open. Default:
         * {@link Authorizer#allowAll()}, everyone may do everything.
         *
         * @param authorizer the authorizer, for example a {@code JwtAuthorizer}
         * @return this builder
         * @throws IllegalStateException if already set
         */
        public Builder authorizer(Authorizer authorizer) {
            requireUnset(this.authorizer, "authorizer");
            this.authorizer = Objects.requireNonNull(authorizer, "authorizer");
            return this;
        }

        /**
         * A bearer token that {@code GET /metrics} requires ({@code Authorization: Bearer <token>}); it is separate
         * from client tokens, so a monitoring system needs no client grants. Default: none, {@code /metrics} is
         * open.
         *
         * @param token the token, not blank
         * @return this builder
         * @throws IllegalStateException if already set
         * @throws IllegalArgumentException if blank
         */
        public Builder metricsToken(String token) {
            requireUnset(metricsToken == null ? null : "(a token)", "metricsToken"); // never the secret itself
            metricsToken = HeraldChannelInitializer.Builder.requireToken(token);
            return this;
        }

        /**
         * Serves HTTPS and WSS instead of HTTP and WS, on the same port and routes: every connection begins with a
         * TLS handshake, which must finish within {@link HeraldServerConfig#handshakeTimeout()} or the connection is
         * closed. A client that speaks plain HTTP to the port, or whose handshake fails, is disconnected; each
         * such handshake counts in {@code GET /metrics} as {@code server.tlsHandshakeFailures}. Browser pages of the
         * server's own origin are then those of {@code https://} its host and port. Default: none, plain HTTP.
         *
         * <pre>{@code
         * SslContext tls = SslContextBuilder.forServer(new File("cert.pem"), new File("key.pem")).build();
         * HeraldServer server = HeraldServer.builder().sslContext(tls).build().start();
         * }</pre>
         *
         * <p>The server does not release the context; one context may serve several servers.
         *
         * @param sslContext a server context, from {@code SslContextBuilder.forServer(...)}; without ALPN, or with
         *                   {@code http/1.1} as its only protocol (the server speaks HTTP/1.1 only)
         * @return this builder
         * @throws IllegalArgumentException if it is a client context, or offers another protocol through ALPN
         * @throws IllegalStateException    if already set
         */
        public Builder sslContext(SslContext sslContext) {
            requireUnset(this.sslContext, "sslContext");
            this.sslContext = TlsSupport.requireServer(sslContext);
            return this;
        }

        /**
         * Where the server learns whether the broker's engine can reach its store: {@code GET /health} answers 503
         * {@code engine_unavailable} while it cannot, and {@code GET /metrics} shows its counters under
         * {@code engine}. Default: none, for the in-memory engine, which is always available.
         *
         * @param status the engine's current status; called on event loops, so it must be cheap and not block
         * @return this builder
         * @throws IllegalStateException if already set
         */
        public Builder engineStatus(Supplier<EngineStatus> status) {
            requireUnset(this.engineStatus, "engineStatus");
            this.engineStatus = Objects.requireNonNull(status, "status");
            return this;
        }

        /**
         * The settings (default {@link HeraldServerConfig#defaults()}).
         *
         * @param config the settings
         * @return this builder
         * @throws IllegalStateException if already set
         */
        public Builder config(HeraldServerConfig config) {
            requireUnset(this.config, "config");
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        /**
         * The broker to serve. The server does not close a broker it was given. Default: a broker the server
         * creates (in memory, the last 1000 messages of each topic kept as history) and closes when it stops.
         *
         * @param broker the broker
         * @return this builder
         * @throws IllegalStateException if already set
         */
        public Builder broker(Broker<RawJson> broker) {
            requireUnset(this.broker, "broker");
            this.broker = Objects.requireNonNull(broker, "broker");
            return this;
        }

        /**
         * Event loops owned by the application; the server uses them and does not shut them down. Both must use
         * the same transport (epoll or NIO). Default: the server creates its own.
         *
         * @param boss   accepts connections
         * @param worker serves connections
         * @return this builder
         * @throws IllegalStateException if already set
         */
        public Builder eventLoopGroups(EventLoopGroup boss, EventLoopGroup worker) {
            requireUnset(this.worker, "eventLoopGroups");
            this.boss = Objects.requireNonNull(boss, "boss");
            this.worker = Objects.requireNonNull(worker, "worker");
            return this;
        }

        /**
         * Creates the server, not yet started.
         *
         * @return the server
         */
        public HeraldServer build() {
            return new HeraldServer(this);
        }

        private static void requireUnset(Object current, String name) {
            if (current != null) {
                throw new IllegalStateException(name + " was already set to " + current);
            }
        }
    }
}
