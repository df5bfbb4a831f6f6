package dev.herald.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.herald.core.Broker;
import dev.herald.core.History;
import dev.herald.core.HistoryQuery;
import dev.herald.core.Message;
import dev.herald.core.PublishResult;
import dev.herald.core.StreamPosition;
import dev.herald.core.SubscribeOptions;
import dev.herald.core.Subscriber;
import dev.herald.core.policy.HistoryPolicy;
import dev.herald.redis.testing.RedisAvailability;
import dev.herald.redis.testing.RedisCluster;
import dev.herald.redis.testing.RedisServer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Redis engine on a Redis Cluster of three primaries that the test makes: a topic's keys and its sharded
 * channel live on the primary that owns the topic's slot, topics spread over all primaries, and the engine's
 * guarantees hold across nodes as on a single server.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RedisClusterEngineTest {
    private static final int TOPICS = 100;
    private static RedisCluster cluster;

    @BeforeAll
    static void startCluster() {
        RedisAvailability.assumeRedisInstalled();
        cluster = RedisCluster.start(3);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    static RedisEngine<String> engine(String prefix, String node) {
        return RedisEngine.builder(PayloadCodec.utf8()).uris(cluster.seedUris()).cluster(true).keyPrefix(prefix)
                .nodeId(node).build();
    }

    private static Broker<String> node(String prefix, String name) {
        return Broker.<String>builder().history(HistoryPolicy.lastN(1000)).engine(engine(prefix, name)).build();
    }

    /** Records one subscription; the broker calls it one message at a time. */
    private static final class Recorder implements Subscriber<String> {
        private final List<Message<String>> messages = new ArrayList<>();

        @Override
        public synchronized void onMessage(Message<String> message) {
            messages.add(message);
        }

        synchronized List<Message<String>> messages() {
            return List.copyOf(messages);
        }

        synchronized int size() {
            return messages.size();
        }
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out waiting for " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    private static List<String> topics(String prefix) {
        List<String> topics = new ArrayList<>();
        for (int i = 0; i < TOPICS; i++) {
            topics.add(prefix + ".topic-" + i);
        }
        return topics;
    }

    @Test
    void aHundredTopicsSpreadOverEveryPrimaryAndEachReachesItsSubscribersOnAnotherNodeInOrder() {
        List<String> topics = topics("spread");
        Map<RedisServer, Integer> topicsPerPrimary = new HashMap<>();
        for (String topic : topics) {
            topicsPerPrimary.merge(cluster.nodeForSlot(cluster.slotOf(topic)), 1, Integer::sum);
        }
        assertEquals(3, topicsPerPrimary.size(), "the topics' slots belong to all three primaries");
        try (Broker<String> a = node("spread", "a"); Broker<String> b = node("spread", "b")) {
            Map<String, Recorder> onB = new HashMap<>();
            for (String topic : topics) {
                Recorder recorder = new Recorder();
                b.subscribe(topic, recorder);
                onB.put(topic, recorder);
            }
            Recorder pattern = new Recorder();
            a.subscribe("spread.>", pattern);
            List<CompletableFuture<PublishResult>> results = new ArrayList<>();
            for (int round = 0; round < 5; round++) {
                for (String topic : topics) {
                    results.add(a.publish(topic, topic + "#" + round).toCompletableFuture());
                }
            }
            for (CompletableFuture<PublishResult> result : results) {
                assertTrue(result.join().accepted(), String.valueOf(result.join()));
            }
            await("every subscriber", () -> onB.values().stream().allMatch(r -> r.size() == 5)
                    && pattern.size() == 5 * TOPICS);
            for (String topic : topics) {
                List<Message<String>> got = onB.get(topic).messages();
                for (int round = 0; round < 5; round++) {
                    assertEquals(round + 1, got.get(round).offset(), topic);
                    assertEquals(topic + "#" + round, got.get(round).data(), topic);
                }
            }
            Map<String, Long> lastOfTopic = new HashMap<>();
            for (Message<String> m : pattern.messages()) {
                Long previous = lastOfTopic.put(m.topic(), m.offset());
                assertEquals(previous == null ? 1 : previous + 1, m.offset(), "pattern delivery of " + m.topic());
            }
            // Each topic's keys are where its slot is, and every primary holds some.
            for (RedisServer primary : topicsPerPrimary.keySet()) {
                long keys = Long.parseLong(primary.cli("DBSIZE"));
                assertTrue(keys >= 2L * topicsPerPrimary.get(primary),
                        "primary " + primary.port() + " holds its topics' keys: " + keys);
            }
            for (String topic : topics.subList(0, 10)) {
                History<String> viaA = a.history(topic, HistoryQuery.all()).toCompletableFuture().join();
                History<String> viaB = b.history(topic, HistoryQuery.all()).toCompletableFuture().join();
                assertEquals(viaA, viaB, "history of " + topic + " through either node");
                assertEquals(5, viaA.messages().size());
            }
        }
    }

    @Test
    void aTopicWhoseSlotMovesToAnotherPrimaryGoesOnWithoutLosingAMessage() {
        String topic = "moving.topic";
        int slot = cluster.slotOf(topic);
        try (Broker<String> a = node("moving", "a"); Broker<String> b = node("moving", "b")) {
            Recorder recorder = new Recorder();
            b.subscribe(topic, recorder);
            for (int i = 1; i <= 5; i++) {
                assertTrue(a.publish(topic, "before " + i).toCompletableFuture().join().accepted());
            }
            await("the messages before the move", () -> recorder.size() == 5);
            RedisServer from = cluster.nodeForSlot(slot);
            RedisServer to = cluster.nodes().stream().filter(n -> n != from).findFirst().orElseThrow();
            String fromId = from.cli("CLUSTER", "MYID");
            String toId = to.cli("CLUSTER", "MYID");
            to.cli("CLUSTER", "SETSLOT", String.valueOf(slot), "IMPORTING", fromId);
            from.cli("CLUSTER", "SETSLOT", String.valueOf(slot), "MIGRATING", toId);
            List<String> migrate = new ArrayList<>(List.of("MIGRATE", "127.0.0.1", String.valueOf(to.port()), "",
                    "0", "5000", "KEYS"));
            for (String key : from.cli("CLUSTER", "GETKEYSINSLOT", String.valueOf(slot), "100").split("\\n")) {
                if (!key.isBlank()) {
                    migrate.add(key.strip());
                }
            }
            assertTrue(migrate.size() > 7, "the topic's keys are in its slot: " + migrate);
            from.cli(migrate.toArray(String[]::new));
            for (RedisServer node : cluster.nodes()) {
                node.cli("CLUSTER", "SETSLOT", String.valueOf(slot), "NODE", toId);
            }
            // Redis ends the channel's subscriptions on the old owner; the feed subscribes again on the new one.
            for (int i = 6; i <= 10; i++) {
                assertTrue(a.publish(topic, "after " + i).toCompletableFuture().join().accepted());
            }
            await("the messages after the move", () -> recorder.size() == 10);
            List<Message<String>> got = recorder.messages();
            for (int i = 0; i < 10; i++) {
                assertEquals(i + 1, got.get(i).offset(), "offset " + (i + 1));
            }
            assertEquals("after 10", got.get(9).data());
            assertEquals(to, cluster.nodeForSlot(slot), "the slot moved");
        }
    }

    @Test
    void killedPubSubConnectionsOnEveryPrimaryAreFollowedByACatchUpOfEveryTopic() {
        List<String> topics = topics("resync");
        try (Broker<String> a = node("resync", "a"); Broker<String> b = node("resync", "b")) {
            Map<String, Recorder> onB = new HashMap<>();
            for (String topic : topics) {
                Recorder recorder = new Recorder();
                b.subscribe(topic, recorder);
                onB.put(topic, recorder);
            }
            Map<String, StreamPosition> positions = new HashMap<>();
            for (String topic : topics) {
                PublishResult.Accepted ok = (PublishResult.Accepted) a.publish(topic, "before").toCompletableFuture()
                        .join();
                positions.put(topic, ok.position());
            }
            await("the first round", () -> onB.values().stream().allMatch(r -> r.size() == 1));
            for (RedisServer primary : cluster.nodes()) {
                primary.cli("CLIENT", "KILL", "TYPE", "pubsub");
            }
            // Published while the subscriptions are being made again: only a catch-up from history brings them.
            for (String topic : topics) {
                assertTrue(a.publish(topic, "during").toCompletableFuture().join().accepted());
            }
            for (String topic : topics) {
                assertTrue(a.publish(topic, "after").toCompletableFuture().join().accepted());
            }
            await("every topic to catch up", () -> onB.values().stream().allMatch(r -> r.size() == 3));
            Set<String> wrong = new HashSet<>();
            for (String topic : topics) {
                List<Message<String>> got = onB.get(topic).messages();
                if (!List.of("before", "during", "after").equals(got.stream().map(Message::data).toList())
                        || got.get(2).offset() != 3) {
                    wrong.add(topic + "=" + got);
                }
            }
            assertEquals(Set.of(), wrong);
            // A client of node a resumes on node b from what a told it.
            Recorder resumed = new Recorder();
            String topic = topics.get(7);
            b.subscribe(topic, SubscribeOptions.from(positions.get(topic)), resumed);
            await("the resume", () -> resumed.size() == 2);
            assertEquals(List.of(2L, 3L), resumed.messages().stream().map(Message::offset).toList());
        }
    }
}
