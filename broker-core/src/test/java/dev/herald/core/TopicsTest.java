package dev.herald.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.policy.DeliveryPolicy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The rules for topic names and patterns, and which topics a pattern matches - in Topics and in routing. */
class TopicsTest {

    @ParameterizedTest
    @ValueSource(strings = {"a", "notifications", "orders.eu.created", "user:42.inbox", "A-Z_0~9@x", "x.y-z.1"})
    void validNames(String name) {
        assertTrue(Topics.isValidName(name));
        assertTrue(Topics.isValidFilter(name));
        assertSame(name, Topics.requireName(name));
        assertSame(name, Topics.requireFilter(name));
        assertFalse(Topics.isPattern(name));
    }

    @Test
    void limitsAreInclusive() {
        String longest = "a".repeat(Topics.MAX_LENGTH);
        assertTrue(Topics.isValidName(longest));
        assertFalse(Topics.isValidName(longest + "a"));
        String mostSegments = String.join(".", Collections.nCopies(Topics.MAX_SEGMENTS, "s"));
        assertTrue(Topics.isValidName(mostSegments));
        assertFalse(Topics.isValidName(mostSegments + ".s"));
        assertFalse(Topics.isValidFilter(mostSegments + ".>"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"*", ">", "a.*", "a.>", "*.b", "a.*.c", "*.*", "*.>", "a.*.>"})
    void validPatterns(String pattern) {
        assertTrue(Topics.isValidFilter(pattern));
        assertFalse(Topics.isValidName(pattern));
        assertTrue(Topics.isPattern(pattern));
        assertSame(pattern, Topics.requireFilter(pattern));
        HeraldException e = assertThrows(HeraldException.class, () -> Topics.requireName(pattern));
        assertEquals(RejectReason.INVALID_TOPIC, e.reason());
        assertTrue(e.getMessage().contains("'" + pattern + "'"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"a*", "*a", "a.b*", "a.>.b", ">.a", "a>", ">>", "**", "a.*b", "a.**"})
    void wildcardsMustBeWholeSegmentsAndGreaterThanMustBeLast(String filter) {
        assertFalse(Topics.isValidFilter(filter));
        HeraldException e = assertThrows(HeraldException.class, () -> Topics.requireFilter(filter));
        assertEquals(RejectReason.INVALID_TOPIC, e.reason());
        assertTrue(e.getMessage().contains("'" + filter + "'"), e.getMessage());
    }

    @Test
    void nullIsNeitherNameNorFilter() {
        assertFalse(Topics.isValidName(null));
        assertFalse(Topics.isValidFilter(null));
        assertEquals(RejectReason.INVALID_TOPIC,
                assertThrows(HeraldException.class, () -> Topics.requireFilter(null)).reason());
    }

    @ParameterizedTest
    @CsvSource({
            "orders.eu, orders.eu, true",
            "orders.eu, orders.us, false",
            "orders.eu, orders, false",
            "orders, orders.eu, false",
            "orders.*, orders.eu, true",
            "orders.*, orders, false",
            "orders.*, orders.eu.created, false",
            "orders.*.created, orders.eu.created, true",
            "orders.*.created, orders.eu.deleted, false",
            "orders.>, orders.eu, true",
            "orders.>, orders.eu.created, true",
            "orders.>, orders, false",
            "orders.>, ordersx.eu, false",
            "*, a, true",
            "*, a.b, false",
            ">, a, true",
            ">, a.b.c, true",
            "*.>, a, false",
            "*.>, a.b, true",
            "*.*, a.b, true",
            "*.*, a.b.c, false",
            "a.*.>, a.b, false",
            "a.*.>, a.b.c, true",
            "ab, a, false",
            "a, ab, false",
            "a.b, a.bc, false",
            "a.bc, a.b, false"})
    void matches(String filter, String topic, boolean expected) {
        assertEquals(expected, Topics.matches(filter, topic), filter + " vs " + topic);
    }

    /** An obviously correct matcher to compare against: segment by segment, recursively. */
    private static boolean reference(String[] filter, int f, String[] topic, int t) {
        if (f == filter.length) {
            return t == topic.length;
        }
        if (filter[f].equals(">")) {
            return t < topic.length;
        }
        if (t == topic.length) {
            return false;
        }
        return (filter[f].equals("*") || filter[f].equals(topic[t])) && reference(filter, f + 1, topic, t + 1);
    }

    private static List<String> topics() {
        List<String> topics = new ArrayList<>();
        expand("", 3, List.of("a", "b", "ab"), List.of("a", "b", "ab"), topics);
        return topics;
    }

    private static List<String> filters() {
        List<String> filters = new ArrayList<>();
        expand("", 4, List.of("a", "b", "*"), List.of("a", "b", "*", ">"), filters);
        return filters;
    }

    /** Every dotted string of 1..depth segments, {@code last} allowed only in the final segment. */
    private static void expand(String prefix, int depth, List<String> inner, List<String> last, List<String> out) {
        if (depth == 0) {
            return;
        }
        for (String segment : last) {
            out.add(prefix + segment);
        }
        for (String segment : inner) {
            expand(prefix + segment + ".", depth - 1, inner, last, out);
        }
    }

    @Test
    void matchesAgreesWithTheReferenceOnEveryPairOfASmallUniverse() {
        List<String> topics = topics();
        List<String> filters = filters();
        int matched = 0;
        for (String filter : filters) {
            assertTrue(Topics.isValidFilter(filter), filter);
            for (String topic : topics) {
                boolean expected = reference(filter.split("\\."), 0, topic.split("\\."), 0);
                assertEquals(expected, Topics.matches(filter, topic), filter + " vs " + topic);
                matched += expected ? 1 : 0;
            }
        }
        assertTrue(matched > 100 && matched < topics.size() * filters.size(), "a universe worth checking");
    }

    @Test
    void brokerRoutesEachMessageToExactlyTheMatchingSubscriptions() {
        List<String> topics = topics();
        List<String> filters = filters();
        try (Broker<String> broker = Broker.<String>builder().executor(Runnable::run).build()) {
            Set<String> routed = new HashSet<>();
            for (String filter : filters) {
                broker.subscribe(filter, SubscribeOptions.live().delivery(DeliveryPolicy.direct()),
                        m -> assertTrue(routed.add(filter + " <- " + m.topic()), "twice: " + filter + " <- "
                                + m.topic()));
            }
            Set<String> expected = new HashSet<>();
            for (String topic : topics) {
                broker.publish(topic, "x");
                for (String filter : filters) {
                    if (Topics.matches(filter, topic)) {
                        expected.add(filter + " <- " + topic);
                    }
                }
            }
            assertEquals(expected, routed);
        }
    }
}
