package dev.herald.netty.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.Topics;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class GrantsTest {

    private static Grants subscribe(String... patterns) {
        return Grants.of(List.of(patterns), List.of());
    }

    @Test
    void aPatternIsWithinAWiderOne() {
        assertTrue(subscribe("orders.>").maySubscribe("orders.*"));
        assertTrue(subscribe("orders.>").maySubscribe("orders.eu"));
        assertTrue(subscribe("orders.>").maySubscribe("orders.eu.>"));
        assertTrue(subscribe("orders.>").maySubscribe("orders.*.created"));
        assertTrue(subscribe("orders.*").maySubscribe("orders.eu"));
        assertTrue(subscribe("*.*.*").maySubscribe("a.*.c"));
        assertTrue(subscribe(">").maySubscribe(">"));
        assertTrue(subscribe(">").maySubscribe("anything.at.*.all"));
    }

    @Test
    void aPatternIsWithinSeveralGrantsTogether() {
        assertTrue(subscribe("a.*", "a.*.>").maySubscribe("a.>"));
        assertTrue(subscribe("*", "*.>").maySubscribe(">"));
        assertFalse(subscribe("a.*").maySubscribe("a.>"), "a.b.c is not granted");
        assertFalse(subscribe("a.*.>").maySubscribe("a.>"), "a.b is not granted");
        assertTrue(subscribe("a.b", "a.*.>", "a.*").maySubscribe("a.>"));
    }

    @Test
    void aPatternIsNotWithinANarrowerOne() {
        assertFalse(subscribe("orders.eu").maySubscribe("orders.*"));
        assertFalse(subscribe("orders.*").maySubscribe("orders.>"));
        assertFalse(subscribe("orders.*").maySubscribe("orders.eu.created"));
        assertFalse(subscribe("orders.>").maySubscribe("orders"), "'>' needs at least one more segment");
        assertFalse(subscribe("a.b.c").maySubscribe("a.*.c"));
        assertFalse(subscribe("a", "b", "c").maySubscribe("*"), "literals never add up to a wildcard");
        assertFalse(subscribe("a.*", "*.b").maySubscribe("*.*"));
        assertFalse(subscribe("*.>").maySubscribe(">"));
    }

    @Test
    void aTrailingWildcardReachesTheMostSegmentsATopicMayHave() {
        // a.> matches topics of 2 to 32 segments; grants of each of those lengths together cover it.
        List<String> grants = new ArrayList<>();
        for (int segments = 2; segments <= Topics.MAX_SEGMENTS; segments++) {
            String[] parts = new String[segments];
            Arrays.fill(parts, "*");
            parts[0] = "a";
            grants.add(String.join(".", parts));
        }
        assertTrue(Grants.of(grants, List.of()).maySubscribe("a.>"));
        assertFalse(Grants.of(grants.subList(0, grants.size() - 1), List.of()).maySubscribe("a.>"),
                "a topic of 32 segments is not granted without the longest");
    }

    @Test
    void readingNeedsAGrantThatMatchesTheTopic() {
        Grants g = subscribe("chat.*", "user:alice.>");
        assertTrue(g.mayRead("chat.general"));
        assertTrue(g.mayRead("user:alice.inbox.unread"));
        assertFalse(g.mayRead("chat.general.archive"));
        assertFalse(g.mayRead("user:bob.inbox"));
        assertFalse(g.mayRead("chat.*"), "history is read by topic name, not by pattern");
        assertFalse(g.mayPublish("chat.general"), "subscribe grants do not allow publishing");
    }

    @Test
    void publishingNeedsAPublishGrant() {
        Grants g = Grants.of(List.of("chat.>"), List.of("chat.*"));
        assertTrue(g.mayPublish("chat.general"));
        assertFalse(g.mayPublish("chat.general.archive"));
        assertFalse(g.mayPublish("chat.*"), "one publishes to a topic, not a pattern");
        assertFalse(g.mayPublish(">"));
        assertFalse(Grants.of(List.of(), List.of("a")).mayPublish("a.b"));
    }

    @Test
    void invalidFiltersAndNamesAreRefusedEvenByAllGrants() {
        Grants all = Grants.all();
        for (String bad : Arrays.asList(null, "", ".", "a..b", "a.", ".a", "a.>.b", "a*", "a.b*", ">.a", "sp ace",
                "é", "x".repeat(Topics.MAX_LENGTH + 1), "a" + ".a".repeat(Topics.MAX_SEGMENTS))) {
            assertFalse(all.maySubscribe(bad), "subscribe '" + bad + "'");
            assertFalse(all.mayRead(bad), "read '" + bad + "'");
            assertFalse(all.mayPublish(bad), "publish '" + bad + "'");
        }
        assertTrue(all.maySubscribe("a" + ".a".repeat(Topics.MAX_SEGMENTS - 1)));
    }

    @Test
    void allAndNone() {
        assertTrue(Grants.all().maySubscribe(">"));
        assertTrue(Grants.all().mayPublish("x.y"));
        assertTrue(Grants.all().mayRead("x"));
        assertFalse(Grants.all().isNone());
        assertFalse(Grants.none().maySubscribe("x"));
        assertFalse(Grants.none().mayPublish("x"));
        assertFalse(Grants.none().mayRead("x"));
        assertTrue(Grants.none().isNone());
        assertTrue(Grants.of(List.of(), List.of()).isNone());
        assertFalse(Grants.of(List.of(), List.of("a")).isNone());
    }

    @Test
    void invalidGrantsAreRefusedNamingTheEntry() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Grants.of(List.of("ok", "a..b"), List.of()));
        assertTrue(e.getMessage().contains("'a..b'") && e.getMessage().contains("subscribe"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Grants.of(List.of(), Arrays.asList("ok", null)));
        assertTrue(e.getMessage().contains("publish"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Grants.of(List.of("a.>.b"), List.of()));
    }

    @Test
    void thePatternsAreKeptAsGivenAndCopied() {
        List<String> subscribe = new ArrayList<>(List.of("b", "a.>", "b"));
        Grants g = Grants.of(subscribe, List.of("c"));
        subscribe.clear();
        assertEquals(List.of("b", "a.>", "b"), g.subscribePatterns());
        assertEquals(List.of("c"), g.publishPatterns());
        assertThrows(UnsupportedOperationException.class, () -> g.subscribePatterns().add("x"));
        assertEquals(Grants.of(List.of("b", "a.>", "b"), List.of("c")), g);
        assertEquals(Grants.of(List.of("b", "a.>", "b"), List.of("c")).hashCode(), g.hashCode());
        assertNotEquals(Grants.of(List.of("c"), List.of("b", "a.>", "b")), g);
        assertTrue(g.toString().contains("a.>"), g.toString());
    }
}
