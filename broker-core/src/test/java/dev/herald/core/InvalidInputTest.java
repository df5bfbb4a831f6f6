package dev.herald.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.internal.InMemoryEngine;
import dev.herald.core.policy.DeliveryPolicy;
import dev.herald.core.policy.HistoryPolicy;
import dev.herald.core.spi.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.NullSource;

/**
 * Every invalid input gets a clear answer: a typed rejection (publish), a {@link HeraldException} with a reason
 * code (subscribe), or an {@link IllegalArgumentException}/{@link IllegalStateException} at the call that made the
 * mistake (policies, builder). Each message names the offending value.
 */
@Timeout(10)
class InvalidInputTest {
    private static final String LONG = "a".repeat(Topics.MAX_LENGTH + 1);
    private static final String MANY_SEGMENTS = String.join(".", java.util.Collections.nCopies(33, "s"));

    private static Broker<String> broker() {
        return Broker.<String>builder().executor(Runnable::run).history(HistoryPolicy.lastN(10)).build();
    }

    /** Topic names that are invalid wherever they appear, with a piece the error message must contain. */
    static Stream<Arguments> badNames() {
        return Stream.of(
                Arguments.of("", "empty"),
                Arguments.of(LONG, "256 characters"),
                Arguments.of(MANY_SEGMENTS, "more than 32 segments"),
                Arguments.of("a b", "'a b' contains ' '"),
                Arguments.of("a/b", "'a/b' contains '/'"),
                Arguments.of("caf\u00e9", "'caf\u00e9' contains '\u00e9'"),
                Arguments.of("a..b", "'a..b' has an empty segment"),
                Arguments.of(".a", "'.a' has an empty segment"),
                Arguments.of("a.", "'a.' has an empty segment"),
                Arguments.of("a*", "'a*'"),
                Arguments.of("a.>.b", "'a.>.b'"),
                Arguments.of("a.b>", "'a.b>'"),
                Arguments.of(">a", "'>a'"));
    }

    @ParameterizedTest
    @MethodSource("badNames")
    void publishToAnInvalidTopicIsRejectedWithTheName(String topic, String expected) {
        try (Broker<String> broker = broker()) {
            PublishResult.Rejected rejected = rejected(broker.publish(topic, "x"));
            assertEquals(RejectReason.INVALID_TOPIC, rejected.reason());
            assertTrue(rejected.message().contains(expected), rejected.message());
            assertEquals(1, broker.stats().rejected());
            assertEquals(0, broker.stats().topics());
        }
    }

    @ParameterizedTest
    @MethodSource("badNames")
    void subscribeToAnInvalidFilterThrowsWithTheName(String filter, String expected) {
        try (Broker<String> broker = broker()) {
            HeraldException e = assertThrows(HeraldException.class, () -> broker.subscribe(filter, m -> { }));
            assertEquals(RejectReason.INVALID_TOPIC, e.reason());
            assertTrue(e.getMessage().contains(expected), e.getMessage());
            assertEquals(0, broker.stats().subscriptions());
            assertEquals(0, broker.stats().topics());
        }
    }

    @ParameterizedTest
    @NullSource
    void nullTopicIsRejectedEverywhere(String topic) {
        try (Broker<String> broker = broker()) {
            PublishResult.Rejected rejected = rejected(broker.publish(topic, "x"));
            assertEquals(RejectReason.INVALID_TOPIC, rejected.reason());
            assertTrue(rejected.message().contains("null"), rejected.message());
            HeraldException e = assertThrows(HeraldException.class, () -> broker.subscribe(topic, m -> { }));
            assertEquals(RejectReason.INVALID_TOPIC, e.reason());
            assertEquals(RejectReason.INVALID_TOPIC, failure(broker.history(topic, HistoryQuery.all())).reason());
            assertTrue(broker.topicStats(topic).isEmpty());
        }
    }

    @Test
    void wildcardsArePatternsForSubscribingNotTopicsForPublishing() {
        try (Broker<String> broker = broker()) {
            for (String pattern : List.of("*", ">", "a.*", "a.>", "*.b", "a.*.c", "*.*")) {
                PublishResult.Rejected rejected = rejected(broker.publish(pattern, "x"));
                assertEquals(RejectReason.INVALID_TOPIC, rejected.reason(), pattern);
                assertTrue(rejected.message().contains("'" + pattern + "' contains wildcard"), rejected.message());
                assertEquals(RejectReason.INVALID_TOPIC,
                        failure(broker.history(pattern, HistoryQuery.all())).reason(), pattern);
                // The same string is a fine pattern to subscribe to.
                broker.subscribe(pattern, m -> { }).close();
            }
        }
    }

    @Test
    void nullPayloadIsRejected() {
        try (Broker<String> broker = broker()) {
            PublishResult.Rejected rejected = rejected(broker.publish("a", null));
            assertEquals(RejectReason.INVALID_PAYLOAD, rejected.reason());
            assertTrue(rejected.message().contains("null"), rejected.message());
            assertEquals(0, broker.stats().topics(), "a refused publish creates no topic");
        }
    }

    @Test
    void aBatchWithAnyInvalidPartIsRefusedWholeAndPublishesNothing() {
        try (Broker<String> broker = Broker.<String>builder().executor(Runnable::run)
                .history(HistoryPolicy.lastN(10)).maxTopics(1).build()) {
            List<String> received = new ArrayList<>();
            broker.subscribe(">", m -> received.add(m.data()));

            List<PublishResult.Rejected> nullElement =
                    rejectedAll(broker.publishAll("a", Arrays.asList("1", null, "3")), 3);
            assertEquals(RejectReason.INVALID_PAYLOAD, nullElement.get(0).reason());
            assertTrue(nullElement.get(0).message().contains("data[1]"), nullElement.get(0).message());

            List<PublishResult.Rejected> badTopic = rejectedAll(broker.publishAll("a..b", List.of("1", "2")), 2);
            assertEquals(RejectReason.INVALID_TOPIC, badTopic.get(0).reason());
            assertTrue(badTopic.get(1).message().contains("'a..b'"), badTopic.get(1).message());
            assertEquals(RejectReason.INVALID_TOPIC,
                    rejectedAll(broker.publishAll("a.*", List.of("1")), 1).get(0).reason());

            assertEquals(List.of(), broker.publishAll("a", List.of()).toCompletableFuture().join());
            assertThrows(NullPointerException.class, () -> broker.publishAll("a", null));
            assertEquals(0, broker.stats().topics(), "a refused or empty batch creates no topic");

            assertTrue(broker.publish("a", "first").toCompletableFuture().join().accepted());
            List<PublishResult.Rejected> overLimit = rejectedAll(broker.publishAll("b", List.of("1", "2")), 2);
            assertEquals(RejectReason.TOO_MANY_TOPICS, overLimit.get(1).reason());

            assertEquals(List.of("first"), received, "nothing of a refused batch may reach a subscriber");
            assertEquals(1, broker.stats().published());
            assertEquals(3 + 2 + 1 + 2, broker.stats().rejected(), "each refused element counts once");
        }
        Broker<String> closed = broker();
        closed.close();
        assertEquals(RejectReason.BROKER_CLOSED,
                rejectedAll(closed.publishAll("a", List.of("1")), 1).get(0).reason());
    }

    @Test
    void aBatchThatChangesWhilePublishedThrowsAndLeavesTheTopicAsItWas() {
        try (Broker<String> broker = broker()) {
            List<String> received = new ArrayList<>();
            broker.subscribe("a", SubscribeOptions.live().delivery(DeliveryPolicy.direct()),
                    m -> received.add(m.data()));
            assertEquals(1, ((PublishResult.Accepted) broker.publish("a", "1").toCompletableFuture().join())
                    .offset());
            // Checked whole on the first pass; the second pass finds a null where "y" was, or one element more.
            assertThrows(NullPointerException.class, () -> broker.publishAll("a", new ShiftingList(List.of("x", "y"),
                    Arrays.asList("x", null))));
            assertThrows(RuntimeException.class, () -> broker.publishAll("a", new ShiftingList(List.of("x", "y"),
                    List.of("x", "y", "z"))));
            assertEquals(2, ((PublishResult.Accepted) broker.publish("a", "2").toCompletableFuture().join()).offset(),
                    "a batch that failed half-way must not use up offsets");
            assertEquals(List.of("1", "2"), received);
            assertEquals(List.of("1", "2"), broker.history("a", HistoryQuery.all()).toCompletableFuture().join()
                    .messages().stream().map(Message::data).toList());
        }
    }

    @Test
    void aWeigherThatThrowsOrReturnsANegativeWeightPublishesNothingAndLeavesNoGap() {
        try (Broker<String> broker = Broker.<String>builder().executor(Runnable::run)
                .history(HistoryPolicy.maxBytes(1_000)).payloadWeigher(p -> switch (p) {
                    case "throws" -> throw new IllegalArgumentException("cannot weigh");
                    case "negative" -> -5;
                    default -> p.length();
                }).build()) {
            List<String> received = new ArrayList<>();
            broker.subscribe("a", SubscribeOptions.live().delivery(DeliveryPolicy.direct()),
                    m -> received.add(m.data()));
            assertEquals(1, ((PublishResult.Accepted) broker.publish("a", "1").toCompletableFuture().join())
                    .offset());
            assertEquals("cannot weigh", assertThrows(IllegalArgumentException.class,
                    () -> broker.publish("a", "throws")).getMessage());
            IllegalStateException negative = assertThrows(IllegalStateException.class,
                    () -> broker.publish("a", "negative"));
            assertTrue(negative.getMessage().contains("returned -5"), negative.getMessage());
            assertThrows(IllegalArgumentException.class, () -> broker.publishAll("a", List.of("x", "throws")));
            assertThrows(IllegalStateException.class, () -> broker.publishAll("a", List.of("x", "negative")));
            assertEquals(2, ((PublishResult.Accepted) broker.publish("a", "2").toCompletableFuture().join()).offset(),
                    "a payload that could not be weighed must not use up an offset");
            assertEquals(List.of("1", "2"), received);
            assertEquals(List.of("1", "2"), broker.history("a", HistoryQuery.all()).toCompletableFuture().join()
                    .messages().stream().map(Message::data).toList());
            assertEquals(2, broker.topicStats("a").orElseThrow().retainedBytes());
        }
    }

    @Test
    void aHistoryPolicyThatThrowsKeepsTheMessageAndTheMessageIsStillDelivered() {
        HistoryPolicy throwsPastTwo = (count, bytes, age) -> {
            if (count > 2) {
                throw new IllegalStateException("policy bug");
            }
            return false;
        };
        try (Broker<String> broker = Broker.<String>builder().executor(Runnable::run).history(throwsPastTwo)
                .build()) {
            List<String> received = new ArrayList<>();
            broker.subscribe("a", SubscribeOptions.live().delivery(DeliveryPolicy.direct()),
                    m -> received.add(m.data()));
            for (int i = 1; i <= 3; i++) {
                assertEquals(i, ((PublishResult.Accepted) broker.publish("a", "m" + i).toCompletableFuture().join())
                        .offset());
            }
            assertEquals(List.of(4L, 5L), broker.publishAll("a", List.of("m4", "m5")).toCompletableFuture().join()
                    .stream().map(r -> ((PublishResult.Accepted) r).offset()).toList());
            List<String> all = List.of("m1", "m2", "m3", "m4", "m5");
            assertEquals(all, received);
            assertEquals(all, broker.history("a", HistoryQuery.all()).toCompletableFuture().join()
                    .messages().stream().map(Message::data).toList());
        }
    }

    /** A list that shows one content to its first iteration and another to the later ones. */
    private static final class ShiftingList extends java.util.AbstractList<String> {
        private final List<String> first;
        private final List<String> later;
        private int iterations;

        ShiftingList(List<String> first, List<String> later) {
            this.first = first;
            this.later = later;
        }

        @Override
        public java.util.Iterator<String> iterator() {
            return (iterations++ == 0 ? first : later).iterator();
        }

        @Override
        public String get(int index) {
            return (iterations == 0 ? first : later).get(index);
        }

        @Override
        public int size() {
            return first.size();
        }
    }

    @Test
    void nullArgumentsToSubscribeAndHistoryThrowNullPointerException() {
        try (Broker<String> broker = broker()) {
            assertThrows(NullPointerException.class, () -> broker.subscribe("a", null));
            assertThrows(NullPointerException.class, () -> broker.subscribe("a", null, m -> { }));
            assertThrows(NullPointerException.class, () -> broker.history("a", null));
            assertEquals(0, broker.stats().subscriptions());
        }
    }

    @Test
    void closedBrokerRefusesPublishAndSubscribe() {
        Broker<String> broker = broker();
        broker.close();
        PublishResult.Rejected rejected = rejected(broker.publish("a", "x"));
        assertEquals(RejectReason.BROKER_CLOSED, rejected.reason());
        HeraldException e = assertThrows(HeraldException.class, () -> broker.subscribe("a", m -> { }));
        assertEquals(RejectReason.BROKER_CLOSED, e.reason());
        assertEquals(RejectReason.BROKER_CLOSED,
                failure(broker.subscribeAsync("a.>", SubscribeOptions.live(), m -> { })).reason());
        // Validation comes second: a closed broker says it is closed, whatever the input.
        assertEquals(RejectReason.BROKER_CLOSED, rejected(broker.publish("", null)).reason());
    }

    @Test
    void resumeBeyondTheEndOfTheSameEpochIsRefusedWithTheOffset() {
        try (Broker<String> broker = broker()) {
            broker.publish("a", "1");
            PublishResult.Accepted second = (PublishResult.Accepted) broker.publish("a", "2").toCompletableFuture()
                    .join();
            HeraldException e = assertThrows(HeraldException.class, () -> broker.subscribe("a",
                    SubscribeOptions.from(new StreamPosition(3, second.epoch())), m -> { }));
            assertEquals(RejectReason.INVALID_POSITION, e.reason());
            assertTrue(e.getMessage().contains("offset 3") && e.getMessage().contains("latest offset 2"),
                    e.getMessage());
            assertEquals(0, broker.stats().subscriptions(), "the refused subscription must not stay registered");
            assertEquals(1, broker.stats().topics());
            // The end itself is a valid place to resume from.
            Subscription atEnd = broker.subscribe("a", SubscribeOptions.from(second.position()), m -> { });
            assertTrue(atEnd.recovered());
        }
    }

    @Test
    void resumeOrReplayOnAPatternIsRefusedWithThePattern() {
        try (Broker<String> broker = broker()) {
            StreamPosition position = new StreamPosition(1, "e");
            for (SubscribeOptions options : List.of(SubscribeOptions.from(position), SubscribeOptions.last(5))) {
                HeraldException e = assertThrows(HeraldException.class,
                        () -> broker.subscribe("orders.*", options, m -> { }));
                assertEquals(RejectReason.INVALID_POSITION, e.reason());
                assertTrue(e.getMessage().contains("'orders.*' is a pattern"), e.getMessage());
            }
            assertEquals(0, broker.stats().subscriptions());
        }
    }

    @Test
    void invalidPositionsAndQueriesAreRefusedAtConstruction() {
        expectIllegalArgument(() -> new StreamPosition(-1, "e"), "-1");
        assertThrows(NullPointerException.class, () -> new StreamPosition(0, null));
        expectIllegalArgument(() -> SubscribeOptions.last(0), "0");
        expectIllegalArgument(() -> SubscribeOptions.last(-3), "-3");
        assertThrows(NullPointerException.class, () -> SubscribeOptions.from(null));
        assertThrows(NullPointerException.class, () -> SubscribeOptions.live().delivery(null));
        expectIllegalArgument(() -> HistoryQuery.after(-1, 10), "-1");
        expectIllegalArgument(() -> HistoryQuery.after(0, -2), "-2");
        expectIllegalArgument(() -> HistoryQuery.latest(-5), "-5");
    }

    @Test
    void badPolicyParametersAreRefusedWithTheValue() {
        expectIllegalArgument(() -> DeliveryPolicy.dropOldest(0), "capacity must be >= 1, was 0");
        expectIllegalArgument(() -> DeliveryPolicy.dropNewest(0), "was 0");
        expectIllegalArgument(() -> DeliveryPolicy.closeOnOverflow(0), "was 0");
        expectIllegalArgument(() -> DeliveryPolicy.dropOldest(-7), "was -7");
        expectIllegalArgument(() -> DeliveryPolicy.block(0, Duration.ofSeconds(1)), "was 0");
        expectIllegalArgument(() -> DeliveryPolicy.block(10, Duration.ofMillis(-5)), "PT-0.005S");
        expectIllegalArgument(() -> DeliveryPolicy.block(10, Duration.ZERO), "PT0S");
        assertThrows(NullPointerException.class, () -> DeliveryPolicy.block(10, null));
        expectIllegalArgument(() -> HistoryPolicy.lastN(0), "count must be >= 1, was 0");
        expectIllegalArgument(() -> HistoryPolicy.lastN(-1), "was -1");
        expectIllegalArgument(() -> HistoryPolicy.maxAge(Duration.ZERO), "PT0S");
        expectIllegalArgument(() -> HistoryPolicy.maxAge(Duration.ofSeconds(-1)), "PT-1S");
        assertThrows(NullPointerException.class, () -> HistoryPolicy.maxAge(null));
        expectIllegalArgument(() -> HistoryPolicy.maxBytes(0), "bytes must be >= 1, was 0");
        expectIllegalArgument(() -> HistoryPolicy.maxBytes(-10), "was -10");
        assertThrows(NullPointerException.class, () -> HistoryPolicy.lastN(1).and(null));
    }

    @Test
    void builderRefusesBadValues() {
        expectIllegalArgument(() -> Broker.<String>builder().maxTopics(0), "maxTopics must be >= 1, was 0");
        expectIllegalArgument(() -> Broker.<String>builder().maxTopics(-4), "was -4");
        expectIllegalArgument(() -> Broker.<String>builder().closeGracePeriod(Duration.ofMillis(-1)), "PT-0.001S");
        assertThrows(NullPointerException.class, () -> Broker.<String>builder().history(null));
        assertThrows(NullPointerException.class, () -> Broker.<String>builder().executor(null));
    }

    /** Each setting, made twice. */
    static Stream<Arguments> settings() {
        return Stream.of(
                setting("history", b -> b.history(HistoryPolicy.lastN(1))),
                setting("defaultDelivery", b -> b.defaultDelivery(DeliveryPolicy.dropOldest(1))),
                setting("executor", b -> b.executor(Runnable::run)),
                setting("clock", b -> b.clock(Clock.system())),
                setting("errorListener", b -> b.errorListener((f, e) -> { })),
                setting("payloadWeigher", b -> b.payloadWeigher(p -> 1)),
                setting("maxTopics", b -> b.maxTopics(5)),
                setting("closeGracePeriod", b -> b.closeGracePeriod(Duration.ofSeconds(1))),
                setting("engine", b -> b.engine(InMemoryEngine::new)));
    }

    private static Arguments setting(String name, Consumer<BrokerBuilder<String>> set) {
        return Arguments.of(name, set);
    }

    @ParameterizedTest
    @MethodSource("settings")
    void builderSettingMadeTwiceIsAnIllegalState(String name, Consumer<BrokerBuilder<String>> set) {
        BrokerBuilder<String> builder = Broker.builder();
        set.accept(builder);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> set.accept(builder));
        assertTrue(e.getMessage().startsWith(name + " was already set"), e.getMessage());
        // The first setting stands and the builder still builds.
        builder.build().close();
    }

    @Test
    void topicLimitRefusesNewTopicsOnPublishAndSubscribe() {
        try (Broker<String> broker = Broker.<String>builder().executor(Runnable::run)
                .history(HistoryPolicy.lastN(10)).maxTopics(2).build()) {
            assertTrue(broker.publish("a", "1").toCompletableFuture().join().accepted());
            broker.subscribe("b", m -> { });
            assertEquals(2, broker.stats().topics());

            PublishResult.Rejected rejected = rejected(broker.publish("c", "x"));
            assertEquals(RejectReason.TOO_MANY_TOPICS, rejected.reason());
            assertTrue(rejected.message().contains("'c'") && rejected.message().contains("2 topics"),
                    rejected.message());
            HeraldException e = assertThrows(HeraldException.class, () -> broker.subscribe("d", m -> { }));
            assertEquals(RejectReason.TOO_MANY_TOPICS, e.reason());
            assertTrue(e.getMessage().contains("'d'"), e.getMessage());
            assertEquals(1, broker.stats().subscriptions(), "the refused subscription must not stay registered");
            assertEquals(2, broker.stats().topics());

            // Existing topics and patterns (which create no topic) still work.
            assertTrue(broker.publish("a", "2").toCompletableFuture().join().accepted());
            assertTrue(broker.publish("b", "1").toCompletableFuture().join().accepted());
            broker.subscribe("*", m -> { }).close();
            assertTrue(broker.subscribe("a", m -> { }).isOpen());
        }
    }

    private static PublishResult.Rejected rejected(java.util.concurrent.CompletionStage<PublishResult> stage) {
        PublishResult result = stage.toCompletableFuture().join();
        return assertInstanceOf(PublishResult.Rejected.class, result);
    }

    private static List<PublishResult.Rejected> rejectedAll(
            java.util.concurrent.CompletionStage<List<PublishResult>> stage, int size) {
        List<PublishResult> results = stage.toCompletableFuture().join();
        assertEquals(size, results.size(), "one result per element");
        List<PublishResult.Rejected> rejected = new ArrayList<>();
        for (PublishResult result : results) {
            rejected.add(assertInstanceOf(PublishResult.Rejected.class, result));
        }
        return rejected;
    }

    private static HeraldException failure(java.util.concurrent.CompletionStage<?> stage) {
        CompletableFuture<?> future = stage.toCompletableFuture();
        CompletionException e = assertThrows(CompletionException.class, future::join);
        return assertInstanceOf(HeraldException.class, e.getCause());
    }

    private static void expectIllegalArgument(Executable call, String inMessage) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(inMessage), () -> "'" + e.getMessage() + "' should name " + inMessage);
    }
}
