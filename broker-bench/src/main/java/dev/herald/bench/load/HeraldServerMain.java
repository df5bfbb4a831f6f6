package dev.herald.bench.load;

import dev.herald.bench.reference.Transport;
import dev.herald.core.Broker;
import dev.herald.core.spi.EngineStatus;
import dev.herald.netty.HeraldServer;
import dev.herald.netty.HeraldServerConfig;
import dev.herald.netty.RateLimit;
import dev.herald.netty.RawJson;
import io.netty.channel.EventLoopGroup;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Runs {@link HeraldServer} with its default in-memory broker for the load generator, in its own process so its
 * CPU time and memory can be read from {@code /proc}. It uses the same number of worker event loops and the same
 * transport as the reference server, so the two are compared on equal terms. Prints {@code LISTENING <port>} once
 * bound. The abuse limits that count per client address or per connection are off (every client of the generator
 * comes from one address); the request deadline and the size bounds stay.
 */
public final class HeraldServerMain {
    private HeraldServerMain() {
    }

    /**
     * Starts the server and runs until the process is stopped.
     *
     * @param args {@code [--host H] [--port P] [--threads N] [--max-connections N] [--heartbeat-seconds S]}
     * @throws InterruptedException if interrupted
     */
    public static void main(String[] args) throws InterruptedException {
        serve(args, null, null);
    }

    /**
     * Serves a broker from {@code brokers} (or, if {@code null}, the server's own in-memory broker) with the flags
     * of {@link #main} until the process is stopped; the Redis nodes share this, so that the two kinds differ only
     * in their engine. The broker is made once the flags parsed, and closed after the server on the way out.
     */
    static void serve(String[] args, Supplier<Broker<RawJson>> brokers, Supplier<EngineStatus> engineStatus)
            throws InterruptedException {
        String host = "127.0.0.1";
        int port = 8080;
        int threads = Runtime.getRuntime().availableProcessors();
        int maxConnections = 25_000;
        int heartbeatSeconds = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--host" -> host = args[++i];
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--max-connections" -> maxConnections = Integer.parseInt(args[++i]);
                case "--heartbeat-seconds" -> heartbeatSeconds = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown flag " + args[i] + "; usage: [--host H] "
                        + "[--port P] [--threads N] [--max-connections N] [--heartbeat-seconds S]");
            }
        }
        // The generator runs every client from one address, far past the per-address and per-connection limits
        // meant for the internet: they are off, as the docs advise for load tests from one machine.
        HeraldServerConfig.Builder config = HeraldServerConfig.builder().host(host).port(port)
                .maxConnections(maxConnections)
                .maxConnectionsPerAddress(0).connectionRateLimit(RateLimit.off())
                .requestRateLimit(RateLimit.off()).publishRateLimit(RateLimit.off());
        if (heartbeatSeconds > 0) {
            config.heartbeatInterval(Duration.ofSeconds(heartbeatSeconds));
        }
        // Before the event loops: a broker that cannot be made (Redis unreachable) ends the process right away.
        Broker<RawJson> broker = brokers == null ? null : brokers.get();
        EventLoopGroup boss = Transport.group(1, "herald-accept");
        EventLoopGroup workers = Transport.group(threads, "herald-io");
        HeraldServer.Builder builder = HeraldServer.builder().config(config.build()).eventLoopGroups(boss, workers);
        if (broker != null) {
            builder.broker(broker);
        }
        if (engineStatus != null) {
            builder.engineStatus(engineStatus);
        }
        HeraldServer server = builder.build().start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            if (broker != null) {
                broker.close();
            }
            boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
            workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
            stopped.countDown();
        }, "herald-shutdown"));
        System.out.println("LISTENING " + server.port() + " transport=" + Transport.name());
        System.out.flush();
        stopped.await();
    }
}
