package dev.herald.examples.embedded;

import dev.herald.core.Broker;
import dev.herald.core.PublishResult;
import dev.herald.core.Subscription;
import dev.herald.core.policy.HistoryPolicy;
import dev.herald.netty.HeraldServer;
import dev.herald.netty.HeraldServerConfig;
import dev.herald.netty.RawJson;
import java.io.PrintStream;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Embedded: an application that owns a {@code Broker<RawJson>}, publishes its own domain events to it in-process,
 * and serves the same broker to browsers over WebSocket (and HTTP) through a {@link HeraldServer} it starts.
 *
 * <p>In-process subscribers (here, an audit log) and WebSocket clients see the same messages, with the same
 * offsets. Run it with {@code ./mvnw -B -q -pl broker-examples -am package -DskipTests}, then
 * {@code java -cp broker-server/target/herald-server.jar:broker-examples/target/classes
 * dev.herald.examples.embedded.EmbeddedExample}, and subscribe to {@code orders.>} at {@code ws://localhost:8080/ws}
 * (from a page on {@code http://localhost:3000}, the origin it allows, or from any non-browser client).
 */
public final class EmbeddedExample {

    private EmbeddedExample() {
    }

    /**
     * The application: an order service with a live feed for its web front end.
     */
    public static final class OrderService implements AutoCloseable {
        private final Broker<RawJson> broker;
        private final HeraldServer server;
        private final Subscription audit;
        private final AtomicLong orders = new AtomicLong();

        /**
         * Starts the service and its WebSocket server.
         *
         * @param host where to listen
         * @param port where to listen; 0 for any free port
         * @param log  where the in-process audit subscriber writes
         */
        public OrderService(String host, int port, PrintStream log) {
            // The application owns the broker: it decides history and limits, and closes it.
            broker = Broker.<RawJson>builder()
                    .history(HistoryPolicy.lastN(500))
                    .payloadWeigher(RawJson::size)
                    .build();
            // An in-process subscriber on the same broker that browsers are served from.
            audit = broker.subscribe("orders.>", m -> log.println("audit: " + m.topic() + " #" + m.offset()
                    + " " + m.data().json()));
            HeraldServerConfig config = HeraldServerConfig.builder()
                    .host(host)
                    .port(port)
                    // The web front end is served from another origin in development.
                    .allowedOrigins(List.of("http://localhost:3000"))
                    .build();
            HeraldServer started;
            try {
                started = HeraldServer.builder().config(config).broker(broker).build().start();
            } catch (RuntimeException e) {
                audit.close();
                broker.close();
                throw e;
            }
            server = started;
        }

        /**
         * A domain operation that emits an event: placing an order publishes {@code orders.<region>}.
         *
         * @param region where the order comes from, such as {@code eu}
         * @param cents  the amount
         * @return the event's position in its topic
         */
        public PublishResult.Accepted placeOrder(String region, long cents) {
            long number = orders.incrementAndGet();
            String json = String.format(Locale.ROOT, "{\"orderId\":\"o-%d\",\"region\":\"%s\",\"cents\":%d}",
                    number, region, cents);
            PublishResult result = broker.publish("orders." + region, RawJson.of(json))
                    .toCompletableFuture().join();
            if (!(result instanceof PublishResult.Accepted accepted)) {
                throw new IllegalStateException("order event refused: " + result);
            }
            return accepted;
        }

        /**
         * Where browsers connect.
         *
         * @return the WebSocket URI
         */
        public URI webSocketUri() {
            return URI.create("ws://" + displayHost() + ":" + server.port() + server.config().websocketPath());
        }

        /**
         * Where HTTP clients publish and read history.
         *
         * @return the base HTTP URI
         */
        public URI httpUri() {
            return URI.create("http://" + displayHost() + ":" + server.port());
        }

        private String displayHost() {
            String host = server.config().host();
            return host.equals("0.0.0.0") ? "localhost" : host;
        }

        /** Stops the server (closing browser connections with 1001), then the broker the application owns. */
        @Override
        public void close() {
            server.close();
            audit.close();
            broker.close();
        }
    }

    /**
     * Starts the service on port 8080 (or the first argument) and places an order every two seconds until
     * stopped with Ctrl-C.
     *
     * @param args an optional port
     * @throws InterruptedException if interrupted
     */
    public static void main(String[] args) throws InterruptedException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8080;
        OrderService service = new OrderService("0.0.0.0", port, System.out);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.close();
            stopped.countDown();
        }, "order-service-shutdown"));
        System.out.println("Order service: subscribe to orders.> at " + service.webSocketUri()
                + "; history at " + service.httpUri() + "/topics/orders.eu/history");
        String[] regions = {"eu", "us", "apac"};
        for (int i = 0; !stopped.await(2, TimeUnit.SECONDS); i++) {
            try {
                PublishResult.Accepted placed = service.placeOrder(regions[i % regions.length], 100L * (i + 1));
                System.out.println("placed order -> " + placed.topic() + " #" + placed.offset());
            } catch (IllegalStateException e) {
                break; // stopping: the broker no longer accepts publishes
            }
        }
    }
}
