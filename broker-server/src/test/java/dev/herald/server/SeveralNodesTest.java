package dev.herald.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.redis.testing.RedisAvailability;
import dev.herald.redis.testing.RedisServer;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Three standalone servers on one Redis act as one broker. Subscribers on every node get every message of their
 * topics exactly once, in offset order, with the data its publisher was told was accepted, whichever node and
 * protocol (HTTP or WebSocket) it was published through; every node serves the same history; a client that leaves
 * one node resumes on another with nothing missed; and each node reports its engine in health and metrics.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 40, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SeveralNodesTest {
    private static final List<String> NODE_IDS = List.of("n1", "n2", "n3");
    private static final List<String> TOPICS = List.of("several.alpha", "several.beta", "several.gamma");
    private static final int CLIENTS_PER_NODE = 4;
    private static final int PUBLISHES_EACH = 300;
    private static final int HISTORY_PAGE = 250;
    private static final Duration DELIVERY_TIMEOUT = Duration.ofSeconds(20);

    private RedisServer redis;
    private final List<StandaloneServer> nodes = new ArrayList<>();
    private final List<WsTestClient> clients = new ArrayList<>();
    private final HttpTestClient http = new HttpTestClient();
    private ExecutorService threads;

    @BeforeAll
    void startNodes() {
        RedisAvailability.assumeRedisInstalled();
        List<String> redisOptions = startRedis();
        for (String id : NODE_IDS) {
            // The publishers push as fast as the nodes take it, far past the per-connection rates: limits off.
            List<String> args = new ArrayList<>(List.of("--host", "127.0.0.1", "--port", "0", "--node-id", id,
                    "--history-count", "100000", "--request-rate", "0", "--publish-rate", "0"));
            args.addAll(redisOptions);
            nodes.add(HeraldMain.start(args.toArray(String[]::new)));
        }
        threads = Executors.newCachedThreadPool();
    }

    /** Starts what the nodes share, and returns the options that point them at it. */
    List<String> startRedis() {
        redis = RedisServer.start();
        return List.of("--redis", redis.uri());
    }

    /** Stops what {@link #startRedis} started. */
    void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    @AfterEach
    void closeClients() {
        clients.forEach(WsTestClient::close);
        clients.clear();
    }

    @AfterAll
    void stopNodes() {
        if (threads != null) {
            threads.shutdownNow();
        }
        nodes.forEach(StandaloneServer::close);
        stopRedis();
    }

    private WsTestClient connect(String name, StandaloneServer node) {
        WsTestClient client = WsTestClient.connect(name, node.webSocketUri());
        clients.add(client);
        return client;
    }

    @Test
    void everySubscriberOnEveryNodeGetsEveryMessageOnceInOrderAndEveryNodeHasTheSameHistory() throws Exception {
        // Each node gets clients of every topic, some of them with two topics on one connection.
        Map<WsTestClient, List<String>> subscriptions = new LinkedHashMap<>();
        Map<String, String> epochs = new LinkedHashMap<>();
        for (int n = 0; n < nodes.size(); n++) {
            for (int c = 0; c < CLIENTS_PER_NODE; c++) {
                List<String> topics = new ArrayList<>(List.of(TOPICS.get((n + c) % TOPICS.size())));
                if (c % 2 == 1) {
                    topics.add(TOPICS.get((n + c + 1) % TOPICS.size()));
                }
                WsTestClient client = connect(NODE_IDS.get(n) + "-sub" + c, nodes.get(n));
                for (String topic : topics) {
                    Map<String, Object> subscribed = client.subscribe(topic);
                    String epoch = (String) subscribed.get("epoch");
                    assertFalse(epoch == null || epoch.isEmpty(), "a topic name has an epoch: " + subscribed);
                    String first = epochs.putIfAbsent(topic, epoch);
                    assertEquals(first == null ? epoch : first, epoch, "every node names the same epoch for "
                            + topic);
                }
                subscriptions.put(client, topics);
            }
        }

        PublishLedger ledger = new PublishLedger();
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> publishers = new ArrayList<>();
        for (int n = 0; n < nodes.size(); n++) {
            StandaloneServer node = nodes.get(n);
            String httpName = NODE_IDS.get(n) + "-http";
            String wsName = NODE_IDS.get(n) + "-ws";
            WsTestClient wsPublisher = connect(wsName, node);
            publishers.add(threads.submit(() -> {
                go.await();
                Random random = new Random(httpName.hashCode());
                for (int seq = 1; seq <= PUBLISHES_EACH; seq++) {
                    String topic = TOPICS.get(random.nextInt(TOPICS.size()));
                    String data = PublishLedger.data(httpName, seq);
                    HttpTestClient.Response response = http.publish(node.httpUri(), topic, data);
                    assertEquals(200, response.status(), httpName + " publish " + seq + ": " + response);
                    ledger.accepted(topic, data, httpName, seq, response.json());
                }
                return null;
            }));
            publishers.add(threads.submit(() -> {
                go.await();
                Random random = new Random(wsName.hashCode());
                for (int seq = 1; seq <= PUBLISHES_EACH; seq++) {
                    String topic = TOPICS.get(random.nextInt(TOPICS.size()));
                    String data = PublishLedger.data(wsName, seq);
                    ledger.accepted(topic, data, wsName, seq, wsPublisher.publish(topic, data));
                }
                return null;
            }));
        }
        go.countDown();
        for (Future<?> publisher : publishers) {
            publisher.get(30, TimeUnit.SECONDS);
        }

        ledger.assertDistinctOffsetsInPublisherOrder();
        int total = 0;
        for (String topic : TOPICS) {
            ledger.assertConsecutiveOffsets(topic);
            total += ledger.count(topic);
        }
        assertEquals(2 * nodes.size() * PUBLISHES_EACH, total, "every publish was acknowledged");

        for (Map.Entry<WsTestClient, List<String>> entry : subscriptions.entrySet()) {
            WsTestClient client = entry.getKey();
            int expected = 0;
            for (String topic : entry.getValue()) {
                client.awaitOffset(topic, ledger.count(topic), DELIVERY_TIMEOUT);
                expected += ledger.count(topic);
            }
            // After the pong nothing more is on its way: a late duplicate would be among the messages by now.
            client.ping();
            for (String topic : entry.getValue()) {
                ledger.assertStream(client.name(), topic, client.messages(topic), ledger.count(topic), false);
            }
            assertEquals(expected, client.messageCount(), client.name() + " got messages of its topics only");
            client.assertNoStrayFrames();
        }

        for (String topic : TOPICS) {
            String whole = null;
            for (int n = 0; n < nodes.size(); n++) {
                URI base = nodes.get(n).httpUri();
                HttpTestClient.Response all = http.get(base, "/topics/" + topic + "/history");
                assertEquals(200, all.status(), all.toString());
                if (whole == null) {
                    whole = all.body();
                } else {
                    assertEquals(whole, all.body(), NODE_IDS.get(n) + " serves the history of " + topic
                            + " exactly as " + NODE_IDS.get(0) + " does");
                }
                List<String> paged = pagedHistory(base, topic);
                List<String> delivered = deliveredFrames(subscriptions, topic);
                assertEquals(delivered, paged, NODE_IDS.get(n) + ": the history of " + topic
                        + " is every message as subscribers received it");
            }
            // Under the server's default page limit of 1000, so the request without parameters returns them all.
            assertTrue(ledger.count(topic) < 1000, topic + " has " + ledger.count(topic) + " messages");
            assertEquals(deliveredFrames(subscriptions, topic), TestJson.rawElements(whole), topic);
        }
    }

    /** Reads a topic's whole history in pages, as a client that pages through it would. */
    private List<String> pagedHistory(URI base, String topic) {
        List<String> elements = new ArrayList<>();
        long since = 0;
        // Bounded: the history cannot hold more than every publish of the test.
        for (int page = 0; page <= 2 * nodes.size() * PUBLISHES_EACH / HISTORY_PAGE + 1; page++) {
            HttpTestClient.Response response = http.get(base,
                    "/topics/" + topic + "/history?since=" + since + "&limit=" + HISTORY_PAGE);
            assertEquals(200, response.status(), response.toString());
            List<String> got = TestJson.rawElements(response.body());
            if (got.isEmpty()) {
                return elements;
            }
            elements.addAll(got);
            since = Received.of(got.get(got.size() - 1)).offset();
        }
        throw new AssertionError("the history of " + topic + " has more pages than messages were published");
    }

    /** The frames of a topic as its first subscriber received them; every subscriber got the same ones. */
    private static List<String> deliveredFrames(Map<WsTestClient, List<String>> subscriptions, String topic) {
        WsTestClient subscriber = subscriptions.entrySet().stream().filter(e -> e.getValue().contains(topic))
                .findFirst().orElseThrow().getKey();
        return subscriber.messages(topic).stream().map(Received::frame).toList();
    }

    @Test
    void aClientThatLeavesOneNodeResumesOnAnotherWithNothingMissed() throws Exception {
        String topic = "several.resume";
        PublishLedger ledger = new PublishLedger();
        List<Received> got = new ArrayList<>();
        WsTestClient client = connect("roamer-at-n1", nodes.get(0));
        Map<String, Object> first = client.subscribe(topic);
        String epoch = (String) first.get("epoch");
        assertFalse(epoch == null || epoch.isEmpty(), first.toString());
        AtomicInteger seq = new AtomicInteger();

        for (int hop = 1; hop < nodes.size(); hop++) {
            // Through a node the client is on neither before nor after this hop.
            StandaloneServer via = nodes.get((hop + 1) % nodes.size());
            publishHttp(ledger, "via-" + via.config().nodeId(), via, topic, seq, 40);
            client.awaitOffset(topic, ledger.count(topic), DELIVERY_TIMEOUT);
            client.ping();
            client.close();
            got.addAll(client.messages(topic));
            long last = got.get(got.size() - 1).offset();

            publishHttp(ledger, "via-" + via.config().nodeId(), via, topic, seq, 40);
            // More publishes race the resume, so the seam between replayed and live messages is crossed under load.
            Future<?> racing = threads.submit(() -> {
                publishHttp(ledger, "via-" + via.config().nodeId(), via, topic, seq, 60);
                return null;
            });
            StandaloneServer next = nodes.get(hop);
            client = connect("roamer-at-" + next.config().nodeId(), next);
            Map<String, Object> resumed = client.resume(topic, last, epoch);
            assertEquals(Boolean.TRUE, resumed.get("recovered"), "resume on " + next.config().nodeId() + ": "
                    + resumed);
            assertEquals(epoch, resumed.get("epoch"), resumed.toString());
            assertTrue(((Number) resumed.get("offset")).longValue() >= last + 40, resumed.toString());
            racing.get(20, TimeUnit.SECONDS);
            ledger.assertConsecutiveOffsets(topic);
            client.awaitOffset(topic, ledger.count(topic), DELIVERY_TIMEOUT);
            client.ping();
            List<Received> sinceResume = client.messages(topic);
            assertEquals(last + 1, sinceResume.get(0).offset(), "the first message after resuming is the first "
                    + "one missed");
            List<Received> all = new ArrayList<>(got);
            all.addAll(sinceResume);
            ledger.assertStream(client.name(), topic, all, ledger.count(topic), false);
            client.assertNoStrayFrames();
        }
    }

    /** Publishes {@code count} messages over HTTP, one after the other, numbering them on from {@code seq}. */
    private void publishHttp(PublishLedger ledger, String publisher, StandaloneServer node, String topic,
                             AtomicInteger seq, int count) {
        for (int i = 0; i < count; i++) {
            int n = seq.incrementAndGet();
            String data = PublishLedger.data(publisher, n);
            HttpTestClient.Response response = http.publish(node.httpUri(), topic, data);
            assertEquals(200, response.status(), response.toString());
            ledger.accepted(topic, data, publisher, n, response.json());
        }
    }

    @Test
    void everyNodeReportsItselfAndAnAvailableEngine() {
        for (StandaloneServer node : nodes) {
            String id = node.config().nodeId();
            HttpTestClient.Response health = http.get(node.httpUri(), "/health");
            assertEquals(200, health.status(), id + ": " + health);
            assertEquals(Map.of("status", "ok", "engine", "available"), health.json(), id);

            HttpTestClient.Response metrics = http.get(node.httpUri(), "/metrics");
            assertEquals(200, metrics.status(), id + ": " + metrics);
            Map<String, Object> fields = metrics.json();
            assertEquals(id, fields.get("node"), metrics.body());
            Map<?, ?> engine = assertInstanceOf(Map.class, fields.get("engine"), metrics.body());
            assertEquals(Boolean.TRUE, engine.get("available"), metrics.body());
            assertInstanceOf(Map.class, fields.get("broker"), metrics.body());
            assertInstanceOf(Map.class, fields.get("server"), metrics.body());
        }
    }
}
