package dev.herald.server;

import dev.herald.core.Broker;
import dev.herald.core.spi.EngineStatus;
import dev.herald.netty.HeraldServer;
import dev.herald.netty.HeraldServerConfig;
import dev.herald.netty.RawJson;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running standalone server: a {@link HeraldServer} and the broker it owns (in memory, or on Redis). Started by
 * {@link HeraldMain#start(String...)} or by {@code main}. Thread-safe.
 */
public final class StandaloneServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StandaloneServer.class);

    private final HeraldServer server;
    private final Broker<RawJson> broker;
    private final HeraldServerConfig config;
    private final URI httpUri;
    private final URI webSocketUri;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final CountDownLatch closed = new CountDownLatch(1);

    private StandaloneServer(HeraldServer server, Broker<RawJson> broker, HeraldServerConfig config) {
        this.server = server;
        this.broker = broker;
        this.config = config;
        InetSocketAddress bound = server.localAddress();
        String host = displayHost(config.host());
        boolean tls = server.tls();
        httpUri = URI.create((tls ? "https://" : "http://") + host + ":" + bound.getPort());
        webSocketUri = URI.create((tls ? "wss://" : "ws://") + host + ":" + bound.getPort() + config.websocketPath());
    }

    /**
     * Starts a server on {@code broker}; closes the broker if the server cannot start.
     *
     * @param engineStatus the broker's engine's status for health and metrics, or {@code null} (in memory)
     * @param setup        the rest of the server's settings (who may do what, say)
     */
    static StandaloneServer start(HeraldServerConfig config, Broker<RawJson> broker,
                                  Supplier<EngineStatus> engineStatus, Consumer<HeraldServer.Builder> setup) {
        HeraldServer server;
        try {
            HeraldServer.Builder builder = HeraldServer.builder().config(config).broker(broker);
            if (engineStatus != null) {
                builder.engineStatus(engineStatus);
            }
            setup.accept(builder);
            server = builder.build();
            server.start();
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
        return new StandaloneServer(server, broker, config);
    }

    /**
     * Where HTTP clients reach the server; for a server listening on every interface, via {@code localhost}.
     *
     * @return for example {@code http://localhost:8080}, or {@code https://localhost:8443} with TLS
     */
    public URI httpUri() {
        return httpUri;
    }

    /**
     * Where WebSocket clients connect.
     *
     * @return for example {@code ws://localhost:8080/ws}, or {@code wss://localhost:8443/ws} with TLS
     */
    public URI webSocketUri() {
        return webSocketUri;
    }

    /**
     * The port the server listens on; useful after starting with port 0.
     *
     * @return the bound port
     */
    public int port() {
        return server.localAddress().getPort();
    }

    /**
     * The settings the server runs with.
     *
     * @return the configuration
     */
    public HeraldServerConfig config() {
        return config;
    }

    /**
     * The broker the server publishes to and delivers from, for in-process publishers and subscribers.
     *
     * @return the broker
     */
    public Broker<RawJson> broker() {
        return broker;
    }

    /**
     * Stops gracefully: the server stops accepting, closes its connections within the configured shutdown
     * timeout, then the broker is closed. Idempotent; a second caller waits until the first has finished.
     */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            awaitClosedUninterruptibly();
            return;
        }
        try {
            LOG.info("Herald stopping (waiting up to {} for open connections)",
                    config.shutdownTimeout().toString().substring(2).toLowerCase(java.util.Locale.ROOT));
            try {
                server.close();
            } finally {
                broker.close();
            }
            LOG.info("Herald stopped");
        } finally {
            closed.countDown();
        }
    }

    /** Waits until {@link #close()} has finished. */
    void awaitClosed() throws InterruptedException {
        closed.await();
    }

    private void awaitClosedUninterruptibly() {
        boolean interrupted = false;
        while (true) {
            try {
                // Bounded: the first close is itself bounded by the shutdown timeout.
                closed.await(1, TimeUnit.MINUTES);
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static String displayHost(String host) {
        if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
            return "localhost";
        }
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }
}
