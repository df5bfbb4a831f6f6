package dev.herald.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.redis.testing.RedisAvailability;
import dev.herald.redis.testing.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two nodes through an outage of their Redis (killed, then restarted from its append-only file) while publishing
 * goes on: during the outage {@code /health} answers 503 {@code engine_unavailable} and every publish is refused with
 * 503 {@code engine_unavailable}, never acknowledged; the WebSocket subscribers of both nodes stay connected and,
 * once Redis is back, end up with every acknowledged message exactly once, in offset order, with no gap.
 */
@Timeout(value = 50, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RedisOutageServerTest {
    private static final List<String> TOPICS = List.of("outage.a", "outage.b");
    /** Acknowledged publishes each publisher needs before the outage, and again after it. */
    private static final int PUBLISHES_PER_PHASE = 60;
    /** Publishes each publisher must see refused while Redis is down, so that the outage is really tested. */
    private static final int REFUSALS_DURING_OUTAGE = 5;
    private static final Duration OUTAGE = Duration.ofSeconds(2);
    private static final Duration WAIT_TIMEOUT = Duration.ofSeconds(20);

    private static final int BEFORE = 0;
    private static final int DOWN = 1;
    private static final int RESTARTING = 2;
    private static final int BACK = 3;

    private RedisServer redis;
    private final List<StandaloneServer> nodes = new ArrayList<>();
    private final List<WsTestClient> clients = new ArrayList<>();
    private final HttpTestClient http = new HttpTestClient();
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final AtomicBoolean publishing = new AtomicBoolean(true);
    private final AtomicInteger phase = new AtomicInteger(BEFORE);

    /** One publish and how it ended, with the phases of the outage it started and ended in. */
    private record Attempt(String publisher, int seq, int startPhase, int endPhase, int status, String code) {
    }

    @BeforeEach
    void start() {
        RedisAvailability.assumeRedisInstalled();
        redis = RedisServer.start(RedisServer.Options.defaults().appendOnly(true));
        for (String id : List.of("n1", "n2")) {
            // The publishers push as fast as the nodes take it, far past the per-connection rates: limits off.
            nodes.add(HeraldMain.start("--host", "127.0.0.1", "--port", "0", "--redis", redis.uri(),
                    "--node-id", id, "--history-count", "100000", "--request-rate", "0", "--publish-rate", "0"));
        }
    }

    @AfterEach
    void tearDown() {
        publishing.set(false);
        threads.shutdownNow();
        clients.forEach(WsTestClient::close);
        nodes.forEach(StandaloneServer::close);
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void subscribersStayConnectedAndGetEveryAcknowledgedMessageOnceWhileRefusalsAreHonest() throws Exception {
        List<WsTestClient> subscribers = new ArrayList<>();
        List<List<String>> topicsOf = new ArrayList<>();
        for (StandaloneServer node : nodes) {
            for (List<String> topics : List.of(List.of(TOPICS.get(0)), TOPICS)) {
                WsTestClient client = WsTestClient.connect(node.config().nodeId() + "-sub" + subscribers.size(),
                        node.webSocketUri());
                clients.add(client);
                for (String topic : topics) {
                    client.subscribe(topic);
                }
                subscribers.add(client);
                topicsOf.add(topics);
            }
        }

        PublishLedger ledger = new PublishLedger();
        Queue<Attempt> attempts = new ConcurrentLinkedQueue<>();
        List<Future<?>> publishers = new ArrayList<>();
        for (StandaloneServer node : nodes) {
            String name = "pub-" + node.config().nodeId();
            publishers.add(threads.submit(() -> publishUntilStopped(name, node, ledger, attempts)));
        }
        awaitCondition("acknowledged publishes before the outage",
                () -> acknowledged(attempts, BEFORE) >= nodes.size() * PUBLISHES_PER_PHASE);

        redis.kill();
        long killed = System.nanoTime();
        phase.set(DOWN);
        for (StandaloneServer node : nodes) {
            awaitCondition(node.config().nodeId() + " reports the engine unavailable", () -> {
                HttpTestClient.Response health = http.get(node.httpUri(), "/health");
                return health.status() == 503 && "engine_unavailable".equals(health.json().get("code"));
            });
        }
        // The outage lasts a while, and long enough for every publisher to be refused a few times.
        awaitCondition("refused publishes during the outage", () -> System.nanoTime() - killed >= OUTAGE.toNanos()
                && nodes.stream().allMatch(n -> whileDown(attempts, "pub-" + n.config().nodeId())
                        >= REFUSALS_DURING_OUTAGE));
        for (StandaloneServer node : nodes) {
            HttpTestClient.Response health = http.get(node.httpUri(), "/health");
            assertEquals(503, health.status(), node.config().nodeId() + " while Redis is down: " + health);
            assertEquals("engine_unavailable", health.json().get("code"), health.toString());
        }
        phase.set(RESTARTING);
        redis.restart();
        for (StandaloneServer node : nodes) {
            awaitCondition(node.config().nodeId() + " reports the engine available again",
                    () -> http.get(node.httpUri(), "/health").status() == 200);
        }
        phase.set(BACK);
        awaitCondition("acknowledged publishes after the outage",
                () -> acknowledged(attempts, BACK) >= nodes.size() * PUBLISHES_PER_PHASE);
        publishing.set(false);
        for (Future<?> publisher : publishers) {
            publisher.get(20, TimeUnit.SECONDS);
        }

        for (Attempt a : attempts) {
            if (a.status() != 200) {
                // A refusal is always the engine's, whenever it happened.
                assertEquals(503, a.status(), a.toString());
                assertEquals("engine_unavailable", a.code(), a.toString());
            }
            if (a.startPhase() == DOWN && a.endPhase() == DOWN) {
                assertEquals(503, a.status(), "a publish while Redis was down: " + a);
            }
        }
        ledger.assertDistinctOffsetsInPublisherOrder();

        for (int c = 0; c < subscribers.size(); c++) {
            WsTestClient client = subscribers.get(c);
            for (String topic : topicsOf.get(c)) {
                client.awaitOffset(topic, ledger.lastOffset(topic), WAIT_TIMEOUT);
            }
            client.ping();
            assertTrue(client.isOpen(), client.name() + " stayed connected");
            for (String topic : topicsOf.get(c)) {
                // Beyond the last acknowledged offset there may only be publishes that were refused yet stored.
                ledger.assertStream(client.name(), topic, client.messages(topic), client.lastOffset(topic), true);
            }
            client.assertNoStrayFrames();
        }
    }

    /** How many publishes of {@code publisher} were sent and answered while Redis was down. */
    private static long whileDown(Queue<Attempt> attempts, String publisher) {
        return attempts.stream().filter(a -> a.publisher().equals(publisher) && a.startPhase() == DOWN
                && a.endPhase() == DOWN).count();
    }

    /** How many publishes sent in {@code startPhase} were acknowledged. */
    private static long acknowledged(Queue<Attempt> attempts, int startPhase) {
        return attempts.stream().filter(a -> a.status() == 200 && a.startPhase() == startPhase).count();
    }

    /** Publishes over HTTP in a loop until told to stop, recording every attempt and how it ended. */
    private Void publishUntilStopped(String name, StandaloneServer node, PublishLedger ledger, Queue<Attempt> attempts)
            throws InterruptedException {
        Random random = new Random(name.hashCode());
        // Bounded: the test stops publishing long before, and its timeout stops it in any case.
        for (int seq = 1; publishing.get() && seq <= 100_000; seq++) {
            String topic = TOPICS.get(random.nextInt(TOPICS.size()));
            String data = PublishLedger.data(name, seq);
            int startPhase = phase.get();
            HttpTestClient.Response response = http.publish(node.httpUri(), topic, data);
            int endPhase = phase.get();
            Map<String, Object> body = response.json();
            if (response.status() == 200) {
                ledger.accepted(topic, data, name, seq, body);
            } else {
                ledger.unacknowledged(data);
            }
            attempts.add(new Attempt(name, seq, startPhase, endPhase, response.status(), (String) body.get("code")));
            // Pacing only: refusals come at once, and a tight loop of them would starve the nodes of CPU.
            TimeUnit.MILLISECONDS.sleep(3);
        }
        return null;
    }

    /** Waits for a condition, polling; fails after {@link #WAIT_TIMEOUT}. */
    private static void awaitCondition(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT_TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("no " + what + " within " + WAIT_TIMEOUT);
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
    }
}
