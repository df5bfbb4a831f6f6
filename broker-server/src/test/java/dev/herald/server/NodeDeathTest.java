package dev.herald.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.redis.testing.RedisAvailability;
import dev.herald.redis.testing.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node that dies abruptly (SIGKILL) loses its clients' connections but none of their messages: each client
 * notices, reconnects to another node, resumes every topic from the last offset it received and the epoch of its
 * first {@code subscribed} answer, is told {@code "recovered":true}, and ends with every message of its topics
 * exactly once, in order. Publishing through the surviving nodes goes on throughout and is never refused. The nodes
 * run in JVMs of their own, so that the kill is a real one.
 */
@Timeout(value = 50, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class NodeDeathTest {
    private static final List<String> TOPICS = List.of("death.one", "death.two");
    private static final int CLIENTS = 4;
    /** Messages per topic the clients get from the doomed node before it dies, and from the others after. */
    private static final int MESSAGES_PER_PHASE = 100;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration DELIVERY_TIMEOUT = Duration.ofSeconds(20);

    private RedisServer redis;
    private final List<NodeProcess> nodes = new ArrayList<>();
    private final List<WsTestClient> clients = new ArrayList<>();
    private final AtomicBoolean publishing = new AtomicBoolean(true);
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @BeforeEach
    void startNodes() throws Exception {
        RedisAvailability.assumeRedisInstalled();
        redis = RedisServer.start();
        // Launched together, so their JVMs start in parallel.
        for (String id : List.of("node-a", "node-b", "node-c")) {
            nodes.add(NodeProcess.launch(id, redis.uri()));
        }
        for (NodeProcess node : nodes) {
            node.awaitListening(START_TIMEOUT);
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        publishing.set(false);
        threads.shutdownNow();
        clients.forEach(WsTestClient::close);
        // Every process, even if one of them fails to die, and Redis after them.
        RuntimeException failure = null;
        for (NodeProcess node : nodes) {
            try {
                node.close();
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        if (redis != null) {
            redis.close();
        }
        if (failure != null) {
            throw failure;
        }
    }

    private WsTestClient connect(String name, NodeProcess node) {
        WsTestClient client = WsTestClient.connect(name, node.webSocketUri());
        clients.add(client);
        return client;
    }

    @Test
    void clientsOfAKilledNodeResumeOnTheSurvivorsWithNothingMissed() throws Exception {
        NodeProcess doomed = nodes.get(0);
        List<NodeProcess> survivors = nodes.subList(1, nodes.size());
        List<WsTestClient> before = new ArrayList<>();
        List<List<String>> topicsOf = new ArrayList<>();
        List<Map<String, String>> epochsOf = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            List<String> topics = switch (c % 4) {
                case 0 -> List.of(TOPICS.get(0));
                case 1 -> List.of(TOPICS.get(1));
                case 2 -> TOPICS;
                default -> List.of(TOPICS.get(1), TOPICS.get(0));
            };
            WsTestClient client = connect("client" + c + "-at-" + doomed.id(), doomed);
            Map<String, String> epochs = new HashMap<>();
            for (String topic : topics) {
                String epoch = (String) client.subscribe(topic).get("epoch");
                assertFalse(epoch == null || epoch.isEmpty(), topic + " has an epoch");
                epochs.put(topic, epoch);
            }
            before.add(client);
            topicsOf.add(topics);
            epochsOf.add(epochs);
        }

        PublishLedger ledger = new PublishLedger();
        Queue<String> refusals = new ConcurrentLinkedQueue<>();
        List<Future<?>> publishers = new ArrayList<>();
        for (NodeProcess target : survivors) {
            publishers.add(threads.submit(() -> publishUntilStopped("to-" + target.id(), target, ledger, refusals)));
        }

        for (int c = 0; c < CLIENTS; c++) {
            for (String topic : topicsOf.get(c)) {
                before.get(c).awaitOffset(topic, MESSAGES_PER_PHASE, DELIVERY_TIMEOUT);
            }
        }
        for (WsTestClient client : before) {
            assertTrue(client.isOpen(), client.name() + " is connected until the kill");
        }
        doomed.kill();

        List<WsTestClient> after = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            WsTestClient old = before.get(c);
            old.awaitEnd(Duration.ofSeconds(10));
            NodeProcess next = survivors.get(c % survivors.size());
            WsTestClient client = connect("client" + c + "-at-" + next.id(), next);
            for (String topic : topicsOf.get(c)) {
                long last = old.lastOffset(topic);
                Map<String, Object> resumed = client.resume(topic, last, epochsOf.get(c).get(topic));
                assertEquals(Boolean.TRUE, resumed.get("recovered"), client.name() + " resumed " + topic + " after "
                        + last + ": " + resumed);
                assertEquals(epochsOf.get(c).get(topic), resumed.get("epoch"), resumed.toString());
            }
            after.add(client);
        }
        // Publishing still runs: the clients go on receiving live messages on their new nodes.
        for (int c = 0; c < CLIENTS; c++) {
            for (String topic : topicsOf.get(c)) {
                after.get(c).awaitOffset(topic, before.get(c).lastOffset(topic) + MESSAGES_PER_PHASE,
                        DELIVERY_TIMEOUT);
            }
        }
        publishing.set(false);
        for (Future<?> publisher : publishers) {
            publisher.get(20, TimeUnit.SECONDS);
        }

        assertTrue(refusals.isEmpty(), "the surviving nodes acknowledged every publish: " + refusals);
        for (String topic : TOPICS) {
            ledger.assertConsecutiveOffsets(topic);
        }
        for (int c = 0; c < CLIENTS; c++) {
            WsTestClient client = after.get(c);
            for (String topic : topicsOf.get(c)) {
                client.awaitOffset(topic, ledger.count(topic), DELIVERY_TIMEOUT);
            }
            client.ping();
            for (String topic : topicsOf.get(c)) {
                List<Received> stream = new ArrayList<>(before.get(c).messages(topic));
                stream.addAll(client.messages(topic));
                ledger.assertStream(client.name(), topic, stream, ledger.count(topic), false);
            }
            before.get(c).assertNoStrayFrames();
            client.assertNoStrayFrames();
        }
    }

    /** Publishes over HTTP at a steady pace until told to stop; every answer but 200 is a refusal. */
    private Void publishUntilStopped(String name, NodeProcess target, PublishLedger ledger, Queue<String> refusals)
            throws InterruptedException {
        HttpTestClient http = new HttpTestClient();
        Random random = new Random(name.hashCode());
        // Bounded: the test stops publishing long before, and its timeout stops it in any case.
        for (int seq = 1; publishing.get() && seq <= 100_000; seq++) {
            String topic = TOPICS.get(random.nextInt(TOPICS.size()));
            String data = PublishLedger.data(name, seq);
            try {
                HttpTestClient.Response response = http.publish(target.httpUri(), topic, data);
                if (response.status() == 200) {
                    ledger.accepted(topic, data, name, seq, response.json());
                } else {
                    refusals.add(name + " seq " + seq + ": " + response);
                }
            } catch (RuntimeException e) {
                refusals.add(name + " seq " + seq + ": " + e);
            }
            // Pacing only, not timing anything: a steady stream rather than a burst.
            TimeUnit.MILLISECONDS.sleep(3);
        }
        return null;
    }
}
