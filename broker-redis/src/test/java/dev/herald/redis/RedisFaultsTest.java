package dev.herald.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.herald.core.Broker;
import dev.herald.core.CloseReason;
import dev.herald.core.HeraldException;
import dev.herald.core.History;
import dev.herald.core.HistoryQuery;
import dev.herald.core.Message;
import dev.herald.core.PublishResult;
import dev.herald.core.RejectReason;
import dev.herald.core.StreamPosition;
import dev.herald.core.SubscribeOptions;
import dev.herald.core.Subscriber;
import dev.herald.core.Subscription;
import dev.herald.core.policy.HistoryPolicy;
import dev.herald.redis.testing.RedisAvailability;
import dev.herald.redis.testing.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Redis engine when Redis or the network fails: every fault is reported (a refusal, a closed subscription),
 * never turned into a false success, and once Redis is back every subscription catches up from where it was.
 * Each test runs its own redis-server, which it kills, freezes or restarts.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RedisFaultsTest {
    private static final String TOPIC = "faults.main";

    private RedisServer redis;
    private final List<AutoCloseable> closing = new ArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @BeforeEach
    void checkRedis() {
        RedisAvailability.assumeRedisInstalled();
    }

    @AfterEach
    void tearDown() throws Exception {
        threads.shutdownNow();
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    private Node node(String name) {
        RedisEngine<String> engine = RedisEngine.builder(PayloadCodec.utf8()).uri(redis.uri()).nodeId(name)
                .commandTimeout(Duration.ofMillis(500)).build();
        Broker<String> broker = Broker.<String>builder().history(HistoryPolicy.lastN(100_000)).engine(engine).build();
        closing.add(broker);
        return new Node(broker, engine);
    }

    private record Node(Broker<String> broker, RedisEngine<String> engine) {
    }

    /** Records what a subscription gets and how it ends. */
    private static final class Recorder implements Subscriber<String> {
        final List<Message<String>> messages = new ArrayList<>();
        final List<CloseReason> closes = new ArrayList<>();

        @Override
        public synchronized void onMessage(Message<String> message) {
            messages.add(message);
        }

        @Override
        public synchronized void onClose(CloseReason reason) {
            closes.add(reason);
        }

        synchronized List<Message<String>> messages() {
            return List.copyOf(messages);
        }

        synchronized List<CloseReason> closes() {
            return List.copyOf(closes);
        }

        synchronized long last() {
            return messages.isEmpty() ? 0 : messages.get(messages.size() - 1).offset();
        }
    }

    /** What a publisher that kept going through an outage was told. */
    private static final class Outcomes {
        final Map<Long, String> accepted = new ConcurrentHashMap<>();
        final Set<String> attempted = ConcurrentHashMap.newKeySet();
        final List<PublishResult.Rejected> refused = new java.util.concurrent.CopyOnWriteArrayList<>();
    }

    private Future<?> publishUntil(Broker<String> broker, AtomicBoolean running, Outcomes outcomes) {
        return threads.submit(() -> {
            for (int i = 0; running.get(); i++) {
                String data = "m" + i;
                outcomes.attempted.add(data);
                PublishResult result = broker.publish(TOPIC, data).toCompletableFuture().join();
                if (result instanceof PublishResult.Accepted ok) {
                    assertEquals(null, outcomes.accepted.put(ok.offset(), data), "offset given twice");
                } else {
                    outcomes.refused.add((PublishResult.Rejected) result);
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
                }
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(300));
            }
            return null;
        });
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out waiting for " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    /** The messages are offsets 1..n with no gap or duplicate, hold every accepted message, and nothing else. */
    private static void checkEverything(String who, List<Message<String>> messages, Outcomes outcomes) {
        for (int i = 0; i < messages.size(); i++) {
            Message<String> m = messages.get(i);
            assertEquals(i + 1, m.offset(), who + ": gap or duplicate at " + i);
            String accepted = outcomes.accepted.get(m.offset());
            if (accepted != null) {
                assertEquals(accepted, m.data(), who + ": payload at " + m.offset());
            } else {
                // Refused but stored: a publish in flight when the connection dropped. It was never acknowledged.
                assertTrue(outcomes.attempted.contains(m.data()), who + ": " + m.data() + " was never published");
            }
        }
        for (long offset : outcomes.accepted.keySet()) {
            assertTrue(offset <= messages.size(), who + ": accepted offset " + offset + " never arrived");
        }
    }

    @Test
    void subscribersOnEveryNodeCatchUpAfterRedisIsKilledAndRestartedWithItsAppendOnlyFile() throws Exception {
        redis = RedisServer.start(RedisServer.Options.defaults().appendOnly(true));
        Node a = node("a");
        Node b = node("b");
        Recorder onA = new Recorder();
        Recorder onB = new Recorder();
        a.broker().subscribe(TOPIC, onA);
        b.broker().subscribe(TOPIC, onB);
        String epoch = a.broker().topicStats(TOPIC).orElseThrow().position().epoch();
        Outcomes outcomes = new Outcomes();
        AtomicBoolean running = new AtomicBoolean(true);
        Future<?> publisher = publishUntil(a.broker(), running, outcomes);
        await("messages before the outage", () -> outcomes.accepted.size() >= 200);

        redis.kill();
        await("the engine to notice", () -> !a.engine().status().available() && !b.engine().status().available());
        int refusedBefore = outcomes.refused.size();
        await("refusals while Redis is down", () -> outcomes.refused.size() > refusedBefore + 20);
        for (PublishResult.Rejected refusal : outcomes.refused) {
            assertEquals(RejectReason.ENGINE_UNAVAILABLE, refusal.reason(), refusal.message());
        }
        HeraldException subscribeRefused = assertThrows(HeraldException.class,
                () -> b.broker().subscribe("faults.other", m -> { }));
        assertEquals(RejectReason.ENGINE_UNAVAILABLE, subscribeRefused.reason());
        CompletionException readRefused = assertThrows(CompletionException.class,
                () -> a.broker().history(TOPIC, HistoryQuery.all()).toCompletableFuture().join());
        assertEquals(RejectReason.ENGINE_UNAVAILABLE,
                assertInstanceOf(HeraldException.class, readRefused.getCause()).reason());
        assertEquals(2, a.broker().stats().subscriptions() + b.broker().stats().subscriptions(),
                "open subscriptions stay open");

        // An outage of a few seconds, not a blip: reconnects back off meanwhile.
        Thread.sleep(2_000);
        assertFalse(a.engine().status().available(), "still down");
        redis.restart();
        await("the engine to reconnect", () -> a.engine().status().available() && b.engine().status().available());
        int acceptedAtRestart = outcomes.accepted.size();
        await("messages after the outage", () -> outcomes.accepted.size() >= acceptedAtRestart + 200);
        running.set(false);
        publisher.get(10, TimeUnit.SECONDS);

        long last = a.broker().topicStats(TOPIC).orElseThrow().position().offset();
        await("both subscribers to catch up", () -> onA.last() == last && onB.last() == last);
        checkEverything("subscriber on a", onA.messages(), outcomes);
        checkEverything("subscriber on b", onB.messages(), outcomes);
        assertEquals(List.of(), onA.closes());
        assertEquals(List.of(), onB.closes());
        History<String> history = b.broker().history(TOPIC, HistoryQuery.all()).toCompletableFuture().join();
        assertEquals(epoch, history.position().epoch(), "the append-only file kept the epoch");
        assertEquals(last, history.messages().size(), "and the whole history");
        assertTrue(a.engine().status().counters().get("reconnects") > 0);
    }

    @Test
    void aRestartWithoutPersistenceIsANewEpochAndSubscribersAreToldTheyCannotContinue() throws Exception {
        redis = RedisServer.start(RedisServer.Options.defaults().appendOnly(false));
        Node a = node("a");
        Recorder recorder = new Recorder();
        a.broker().subscribe(TOPIC, recorder);
        for (int i = 0; i < 5; i++) {
            a.broker().publish(TOPIC, "before " + i).toCompletableFuture().join();
        }
        await("the messages", () -> recorder.last() == 5);
        StreamPosition seen = new StreamPosition(5, recorder.messages().get(0).id().replaceAll("-\\d+$", ""));
        assertEquals(seen.epoch(), a.broker().topicStats(TOPIC).orElseThrow().position().epoch());

        redis.kill();
        redis.restart();
        await("the subscription to be closed", () -> !recorder.closes().isEmpty());
        assertEquals(List.of(CloseReason.CONTINUITY_LOST), recorder.closes());

        Recorder resumed = new Recorder();
        Subscription again = a.broker().subscribe(TOPIC, SubscribeOptions.from(seen), resumed);
        assertFalse(again.recovered(), "the old epoch is gone: not recovered");
        assertNotEquals(seen.epoch(), again.position().epoch(), "a new epoch");
        PublishResult.Accepted next = (PublishResult.Accepted) a.broker().publish(TOPIC, "after")
                .toCompletableFuture().join();
        assertEquals(again.position().epoch(), next.epoch());
        assertEquals(1, next.offset(), "offsets start again in the new epoch");
        await("the new message", () -> resumed.last() == 1);
        assertEquals("after", resumed.messages().get(0).data());
        assertEquals(1L, a.engine().status().counters().get("continuityLost"));
    }

    @Test
    void aKilledPubSubConnectionIsFollowedByACatchUpWhileAnotherNodeGoesOnPublishing() throws Exception {
        redis = RedisServer.start();
        Node subscriber = node("subscriber");
        Node publisherNode = node("publisher");
        Recorder recorder = new Recorder();
        subscriber.broker().subscribe(TOPIC, recorder);
        Outcomes outcomes = new Outcomes();
        AtomicBoolean running = new AtomicBoolean(true);
        Future<?> publisher = publishUntil(publisherNode.broker(), running, outcomes);
        for (int kill = 0; kill < 3; kill++) {
            int before = outcomes.accepted.size();
            await("publishing", () -> outcomes.accepted.size() > before + 100);
            long reads = subscriber.engine().status().counters().get("catchUpReads");
            redis.cli("CLIENT", "KILL", "TYPE", "pubsub");
            // Each kill is followed by its own catch-up before the next one.
            await("a catch-up", () -> subscriber.engine().status().counters().get("catchUpReads") > reads);
        }
        await("more publishing", () -> outcomes.accepted.size() > 600);
        running.set(false);
        publisher.get(10, TimeUnit.SECONDS);
        long last = publisherNode.broker().topicStats(TOPIC).orElseThrow().position().offset();
        await("the subscriber to catch up", () -> recorder.last() == last);
        checkEverything("subscriber", recorder.messages(), outcomes);
        assertEquals(List.of(), outcomes.refused, "killing pub/sub connections refuses no publish");
    }

    @Test
    void aFrozenRedisMakesPublishesTimeOutAsRefusalsAndTheyGoOnOnceItThaws() throws Exception {
        redis = RedisServer.start();
        Node a = node("a");
        Recorder recorder = new Recorder();
        a.broker().subscribe(TOPIC, recorder);
        a.broker().publish(TOPIC, "before").toCompletableFuture().join();
        redis.freeze();
        try {
            PublishResult frozen = a.broker().publish(TOPIC, "while frozen").toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            PublishResult.Rejected refused = assertInstanceOf(PublishResult.Rejected.class, frozen);
            assertEquals(RejectReason.ENGINE_UNAVAILABLE, refused.reason());
        } finally {
            redis.thaw();
        }
        await("a publish to go through again", () -> a.broker().publish(TOPIC, "after").toCompletableFuture()
                .join().accepted());
        long last = a.broker().topicStats(TOPIC).orElseThrow().position().offset();
        await("the subscriber", () -> recorder.last() == last);
        List<Message<String>> got = recorder.messages();
        for (int i = 0; i < got.size(); i++) {
            assertEquals(i + 1, got.get(i).offset());
        }
        assertEquals("before", got.get(0).data());
        assertEquals("after", got.get(got.size() - 1).data());
    }

    @Test
    void aNodeWithoutSubscribersOfATopicReceivesNoneOfItsTraffic() throws Exception {
        redis = RedisServer.start();
        Node listening = node("listening");
        Node idle = node("idle");
        Recorder recorder = new Recorder();
        listening.broker().subscribe(TOPIC, recorder);
        idle.broker().subscribe("faults.elsewhere", m -> { });
        for (int i = 0; i < 300; i++) {
            idle.broker().publish(TOPIC, "m" + i).toCompletableFuture().join();
        }
        await("the subscriber", () -> recorder.last() == 300);
        Map<String, Long> busy = listening.engine().status().counters();
        Map<String, Long> quiet = idle.engine().status().counters();
        assertEquals(300L, busy.get("messagesHandedOn"));
        assertTrue(busy.get("framesReceived") >= 1);
        assertEquals(0L, quiet.get("framesReceived"), "the publishing node follows only its own topic");
        assertEquals(0L, quiet.get("messagesHandedOn"));
        assertEquals(1L, quiet.get("topicsFollowed"));
    }

    @Test
    void aLibraryLostFromRedisIsLoadedAgainAndThePublishGoesThrough() {
        redis = RedisServer.start();
        Node a = node("a");
        assertTrue(a.broker().publish(TOPIC, "one").toCompletableFuture().join().accepted());
        redis.cli("FUNCTION", "FLUSH");
        PublishResult second = a.broker().publish(TOPIC, "two").toCompletableFuture().join();
        assertEquals(2, assertInstanceOf(PublishResult.Accepted.class, second).offset());
        assertEquals(1L, a.engine().status().counters().get("libraryReloads"));
    }

    @Test
    void offsetsThatWentBackInOneEpochStartANewEpochSoThatNoOffsetIsGivenTwice() throws Exception {
        redis = RedisServer.start();
        Node a = node("a");
        Recorder recorder = new Recorder();
        a.broker().subscribe(TOPIC, recorder);
        for (int i = 0; i < 10; i++) {
            a.broker().publish(TOPIC, "m" + i).toCompletableFuture().join();
        }
        await("the messages", () -> recorder.last() == 10);
        String epoch = a.broker().topicStats(TOPIC).orElseThrow().position().epoch();
        // What a failover to a replica that missed the last writes looks like: same epoch, a lower offset.
        redis.cli("HSET", "herald:{" + TOPIC + "}:m", "s", "7");
        redis.cli("XTRIM", "herald:{" + TOPIC + "}:s", "MAXLEN", "7");
        redis.cli("CLIENT", "KILL", "TYPE", "pubsub");
        await("the subscription to be closed", () -> !recorder.closes().isEmpty());
        assertEquals(List.of(CloseReason.CONTINUITY_LOST), recorder.closes());
        StreamPosition now = a.broker().topicStats(TOPIC).orElseThrow().position();
        assertNotEquals(epoch, now.epoch(), "a new epoch");
        assertEquals(0, now.offset());
        PublishResult.Accepted next = (PublishResult.Accepted) a.broker().publish(TOPIC, "next")
                .toCompletableFuture().join();
        assertEquals(1, next.offset());
    }
}
