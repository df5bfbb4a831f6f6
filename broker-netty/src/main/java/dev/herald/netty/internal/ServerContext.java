package dev.herald.netty.internal;

import dev.herald.core.Broker;
import dev.herald.core.spi.EngineStatus;
import dev.herald.netty.HeraldServerConfig;
import dev.herald.netty.RawJson;
import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
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
        this.engineStatus = engineStatus;
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
