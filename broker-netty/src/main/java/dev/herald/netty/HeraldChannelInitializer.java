package dev.herald.netty;

import dev.herald.core.Broker;
import dev.herald.core.spi.EngineStatus;
import dev.herald.netty.auth.Authorizer;
import dev.herald.netty.internal.HttpRequestRouter;
import dev.herald.netty.internal.JsonHttpObjectAggregator;
import dev.herald.netty.internal.RequestDeadline;
import dev.herald.netty.internal.RequestProgress;
import dev.herald.netty.internal.ServerContext;
import dev.herald.netty.internal.ServerMetrics;
import dev.herald.netty.internal.TlsSupport;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Sets up the Herald HTTP and WebSocket protocol on each accepted connection, for applications that run their own
 * Netty {@code ServerBootstrap}: pass it to {@code childHandler(...)}. {@link HeraldServer} uses it too.
 *
 * <p>A new connection is first checked against its client address's limits
 * ({@link HeraldServerConfig#connectionRateLimit()}, {@link HeraldServerConfig#maxConnectionsPerAddress()}); one
 * past them is reset at once, with nothing set up for it.
 *
 * <p>Pipeline: with {@linkplain Builder#sslContext TLS}, first an {@code SslHandler} (its handshake bounded by
 * {@link HeraldServerConfig#handshakeTimeout()}) and a handler that counts failed handshakes; then the request
 * deadline ({@link HeraldServerConfig#requestTimeout()}), the HTTP codec (request line and headers bounded by
 * {@link HeraldServerConfig#maxRequestLineBytes()} and {@link HeraldServerConfig#maxHeaderBytes()}), the HTTP
 * aggregator bounded by {@link HeraldServerConfig#maxHttpBodyBytes()}, the HTTP router (connection limit, origin
 * check, HTTP routes; idle HTTP connections close after {@link HeraldServerConfig#idleTimeout()}). The router adds
 * the WebSocket handlers at the end of the pipeline when a request for {@link HeraldServerConfig#websocketPath()}
 * arrives, and passes the request on to them; handlers an application adds after the router therefore come before
 * the WebSocket handlers. The initializer also sets each connection's write buffer water marks.
 *
 * <p>Thread-safe and {@linkplain io.netty.channel.ChannelHandler.Sharable sharable}; one instance serves every
 * connection of one server. It does not close the broker.
 */
public final class HeraldChannelInitializer extends ChannelInitializer<Channel> {
    private final ServerContext server;
    private final SslContext sslContext;
    private final ChannelHandler tlsMonitor;

    /**
     * Creates an initializer serving {@code broker} with {@code config}. The {@link HeraldServerConfig#host()},
     * {@link HeraldServerConfig#port()} and {@link HeraldServerConfig#shutdownTimeout()} settings are left to the
     * application's own bootstrap.
     *
     * @param broker the broker to publish to and subscribe from
     * @param config the settings
     */
    public HeraldChannelInitializer(Broker<RawJson> broker, HeraldServerConfig config) {
        this(new ServerContext(broker, config, new ServerMetrics()));
    }

    /**
     * A builder for an initializer with more than the broker and the settings: TLS or an engine status, say.
     *
     * @param broker the broker to publish to and subscribe from
     * @param config the settings
     * @return a new builder
     */
    public static Builder builder(Broker<RawJson> broker, HeraldServerConfig config) {
        return new Builder(broker, config);
    }

    HeraldChannelInitializer(ServerContext server) {
        this(server, null);
    }

    HeraldChannelInitializer(ServerContext server, SslContext sslContext) {
        this.server = server;
        this.sslContext = sslContext;
        this.tlsMonitor = sslContext == null ? null : TlsSupport.monitor(server.metrics());
    }

    ServerContext context() {
        return server;
    }

    @Override
    protected void initChannel(Channel ch) {
        HeraldServerConfig config = server.config();
        if (!server.addressLimiter().admit(ch, server.metrics().limits())) {
            return; // refused for its address: reset, and nothing built for it
        }
        server.register(ch);
        ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(config.writeBufferLowWaterMark(),
                config.writeBufferHighWaterMark()));
        if (sslContext != null) {
            TlsSupport.addHandlers(ch, sslContext, config.handshakeTimeout(), tlsMonitor);
        }
        ChannelPipeline pipeline = ch.pipeline();
        RequestDeadline deadline = new RequestDeadline(config.requestTimeout(), server.metrics());
        pipeline.addLast(RequestDeadline.NAME, deadline);
        pipeline.addLast("http-codec", new HttpServerCodec(new HttpDecoderConfig()
                .setMaxInitialLineLength(config.maxRequestLineBytes())
                .setMaxHeaderSize(config.maxHeaderBytes())));
        pipeline.addLast(RequestDeadline.END_NAME, deadline.end());
        pipeline.addLast(RequestProgress.NAME, new RequestProgress());
        pipeline.addLast("http-aggregator", new JsonHttpObjectAggregator(config.maxHttpBodyBytes(), server));
        pipeline.addLast(HttpRequestRouter.HTTP_IDLE_HANDLER, new IdleStateHandler(
                config.idleTimeout().toMillis(), 0, 0, TimeUnit.MILLISECONDS));
        pipeline.addLast("http-router", new HttpRequestRouter(server));
    }

    /** Builds a {@link HeraldChannelInitializer}. Not thread-safe. Each setting may be made once. */
    public static final class Builder {
        private final Broker<RawJson> broker;
        private final HeraldServerConfig config;
        private Supplier<EngineStatus> engineStatus;
        private Authorizer authorizer;
        private String metricsToken;
        private SslContext sslContext;

        private Builder(Broker<RawJson> broker, HeraldServerConfig config) {
            this.broker = Objects.requireNonNull(broker, "broker");
            this.config = Objects.requireNonNull(config, "config");
        }

        /**
         * The broker's engine status, for the health check and metrics, as {@link HeraldServer.Builder#engineStatus}
         * describes. Default: none.
         *
         * @param status the engine's current status; cheap and non-blocking
         * @return this builder
         * @throws IllegalStateException if already set
         */
        public Builder engineStatus(Supplier<EngineStatus> status) {
            requireUnset(engineStatus, "engineStatus");
            engineStatus = Objects.requireNonNull(status, "status");
            return this;
        }

        /**
         * Who may connect, subscribe, publish and read history, as {@link HeraldServer.Builder#authorizer}
         * describes. Default: {@link Authorizer#allowAll()}.
         *
         * @param authorizer the authorizer
         * @return this builder
         * @throws IllegalStateException if already set
         */
        public Builder authorizer(Authorizer authorizer) {
            requireUnset(this.authorizer, "authorizer");
            this.authorizer = Objects.requireNonNull(authorizer, "authorizer");
            return this;
        }

        /**
         * The bearer token {@code GET /metrics} requires, as {@link HeraldServer.Builder#metricsToken} describes.
         * Default: none, {@code /metrics} is open.
         *
         * @param token the token
         * @return this builder
         * @throws IllegalStateException if already set
         * @throws IllegalArgumentException if blank
         */
        public Builder metricsToken(String token) {
            requireUnset(metricsToken, "metricsToken");
            metricsToken = requireToken(token);
            return this;
        }

        /**
         * Serves HTTPS and WSS instead of HTTP and WS, as {@link HeraldServer.Builder#sslContext} describes. Default:
         * none, plain HTTP.
         *
         * @param sslContext a server context, from {@code SslContextBuilder.forServer(...)}, without ALPN or with
         *                   {@code http/1.1} alone
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
         * Creates the initializer.
         *
         * @return the initializer
         */
        public HeraldChannelInitializer build() {
            return new HeraldChannelInitializer(new ServerContext(broker, config, new ServerMetrics(), engineStatus,
                    authorizer == null ? Authorizer.allowAll() : authorizer, metricsToken), sslContext);
        }

        static void requireUnset(Object current, String name) {
            if (current != null) {
                throw new IllegalStateException(name + " was already set");
            }
        }

        static String requireToken(String token) {
            Objects.requireNonNull(token, "token");
            if (token.isBlank()) {
                throw new IllegalArgumentException("the metrics token must not be blank");
            }
            return token;
        }
    }
}
