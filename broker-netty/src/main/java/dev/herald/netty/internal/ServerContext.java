package dev.herald.netty.internal;

import dev.herald.core.Broker;
import dev.herald.core.spi.EngineStatus;
import dev.herald.netty.HeraldServerConfig;
import dev.herald.netty.RawJson;
import dev.herald.netty.auth.Authorizer;
import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * What every connection of one server shares: the broker, the settings, the counters, the open connections and
 * whether the server is shutting down. Thread-safe.
 */
public final class ServerContext {
    /**
     * The most client addresses tracked for the per-address limits: 100,000, or twice the connection limit if that
     * is more (every open connection's address is tracked, plus the addresses that connected in the last moments).
     */
    static final int MIN_TRACKED_ADDRESSES = 100_000;

    private final Broker<RawJson> broker;
    private final HeraldServerConfig config;
    private final ServerMetrics metrics;
    private final OriginPolicy originPolicy;
    private final Supplier<EngineStatus> engineStatus;
    private final Authorizer authorizer;
    private final byte[] metricsToken;
    private final AddressLimiter addressLimiter;
    private final ChannelGroup channels = new DefaultChannelGroup("herald-connections", GlobalEventExecutor.INSTANCE);
    private volatile boolean shuttingDown;

    /**
     * Creates the shared state.
     *
     * @param broker  the broker
     * @param config  the settings
     * @param metrics the counters
     */
    public ServerContext(Broker<RawJson> broker, HeraldServerConfig config, ServerMetrics metrics) {
        this(broker, config, metrics, null);
    }

    /**
     * Creates the shared state of a server whose broker runs on an engine that reports its status.
     *
     * @param broker       the broker
     * @param config       the settings
     * @param metrics      the counters
     * @param engineStatus the engine's status, for health and metrics; {@code null} if it has none to report
     */
    public ServerContext(Broker<RawJson> broker, HeraldServerConfig config, ServerMetrics metrics,
                         Supplier<EngineStatus> engineStatus) {
        this(broker, config, metrics, engineStatus, Authorizer.allowAll(), null);
    }

    /**
     * Creates the shared state of a server that checks who its clients are.
     *
     * @param broker       the broker
     * @param config       the settings
     * @param metrics      the counters
     * @param engineStatus the engine's status, for health and metrics; {@code null} if it has none to report
     * @param authorizer   who may do what
     * @param metricsToken the bearer token {@code GET /metrics} requires; {@code null} if it is open
     */
    public ServerContext(Broker<RawJson> broker, HeraldServerConfig config, ServerMetrics metrics,
                         Supplier<EngineStatus> engineStatus, Authorizer authorizer, String metricsToken) {
        this.engineStatus = engineStatus;
        this.authorizer = Objects.requireNonNull(authorizer, "authorizer");
        this.metricsToken = metricsToken == null ? null : metricsToken.getBytes(StandardCharsets.UTF_8);
        this.broker = Objects.requireNonNull(broker, "broker");
        this.config = Objects.requireNonNull(config, "config");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.originPolicy = OriginPolicy.of(config.allowedOrigins());
        int tracked = (int) Math.max(MIN_TRACKED_ADDRESSES, Math.min(Integer.MAX_VALUE, 2L * config.maxConnections()));
        this.addressLimiter = new AddressLimiter(config.connectionRateLimit(), config.maxConnectionsPerAddress(),
                tracked, System::nanoTime);
    }

    /** @return the broker */
    public Broker<RawJson> broker() {
        return broker;
    }

    /** @return the settings */
    public HeraldServerConfig config() {
        return config;
    }

    /** @return the engine's status now, or {@code null} if the engine reports none */
    public EngineStatus engineStatus() {
        return engineStatus == null ? null : engineStatus.get();
    }

    /** @return who may do what */
    public Authorizer authorizer() {
        return authorizer;
    }

    /**
     * Whether a request may read {@code GET /metrics}: always when no metrics token is set, otherwise only with
     * that token. Compared in constant time, so the comparison does not tell how much of a guess was right.
     *
     * @param presented the bearer token of the request, or {@code null}
     * @return {@code true} if allowed
     */
    public boolean mayReadMetrics(String presented) {
        if (metricsToken == null) {
            return true;
        }
        return presented != null && MessageDigest.isEqual(metricsToken, presented.getBytes(StandardCharsets.UTF_8));
    }

    /** @return the counters */
    public ServerMetrics metrics() {
        return metrics;
    }

    /** @return the origin check */
    public OriginPolicy originPolicy() {
        return originPolicy;
    }

    /** @return the per-address connection limits */
    public AddressLimiter addressLimiter() {
        return addressLimiter;
    }

    /**
     * Tracks a new connection; it leaves the group by itself when it closes.
     *
     * @param channel the connection
     */
    public void register(Channel channel) {
        channels.add(channel);
    }

    /** @return the open connections */
    public ChannelGroup channels() {
        return channels;
    }

    /** @return {@code true} once a graceful shutdown has begun */
    public boolean isShuttingDown() {
        return shuttingDown;
    }

    /**
     * Begins a graceful shutdown: new requests are refused with 503, and every open connection is told with a
     * {@link ServerShutdownEvent}.
     */
    public void beginShutdown() {
        shuttingDown = true;
        for (Channel channel : channels) {
            channel.pipeline().fireUserEventTriggered(ServerShutdownEvent.INSTANCE);
        }
    }
}
