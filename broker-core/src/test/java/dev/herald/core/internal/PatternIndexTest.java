package dev.herald.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.Topics;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The trie against a brute-force model: after every change, the values a lookup finds are exactly those whose
 * filter {@link Topics#matches} the topic. Many literal children under one node make the child tables grow,
 * fill with removed slots and shrink.
 */
class PatternIndexTest {
    private static final String[] WORDS = {"a", "b", "orders", "eu", "created", "x1"};

    private record Entry(String filter, Object value) {
    }

    @Test
    void lookupsMatchTheModelThroughRandomAddsAndRemoves() {
        Random random = new Random(42);
        PatternIndex<Object> index = new PatternIndex<>();
        List<Entry> model = new ArrayList<>();
        for (int step = 0; step < 4000; step++) {
            if (model.isEmpty() || random.nextInt(3) > 0) {
                Entry entry = new Entry(randomFilter(random), new Object());
                boolean first = model.stream().noneMatch(e -> e.filter().equals(entry.filter()));
                assertEquals(first, index.add(entry.filter(), entry.value()), "add " + entry.filter());
                model.add(entry);
            } else {
                Entry entry = model.remove(random.nextInt(model.size()));
                boolean last = model.stream().noneMatch(e -> e.filter().equals(entry.filter()));
                assertEquals(last, index.remove(entry.filter(), entry.value()), "remove " + entry.filter());
                assertFalse(index.remove(entry.filter(), entry.value()), "second remove " + entry.filter());
            }
            assertEquals(model.size(), index.size());
            if (step % 20 == 0) {
                for (int i = 0; i < 20; i++) {
                    assertMatches(index, model, randomTopic(random));
                }
            }
        }
    }

    @Test
    void manyLiteralChildrenGrowAndShrinkWithoutLosingAny() {
        PatternIndex<Object> index = new PatternIndex<>();
        List<Entry> model = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            Entry entry = new Entry(i % 2 == 0 ? "user.u" + i + ".>" : "user.u" + i, new Object());
            index.add(entry.filter(), entry.value());
            model.add(entry);
        }
        for (int i = 0; i < 2000; i += 7) {
            assertMatches(index, model, "user.u" + i);
            assertMatches(index, model, "user.u" + i + ".inbox");
        }
        assertMatches(index, model, "user.nobody");
        // Remove all but every 97th: the table fills with removed slots, then shrinks.
        for (int i = 0; i < 2000; i++) {
            if (i % 97 != 0) {
                Entry entry = model.get(i);
                assertTrue(index.remove(entry.filter(), entry.value()));
            }
        }
        model.removeIf(e -> !e.filter().matches("user\\.u(\\d+)(\\.>)?") || Integer.parseInt(
                e.filter().replaceAll("\\D", "")) % 97 != 0);
        assertEquals(model.size(), index.size());
        for (int i = 0; i < 2000; i++) {
            assertMatches(index, model, "user.u" + i);
            assertMatches(index, model, "user.u" + i + ".inbox");
        }
        for (Entry entry : model) {
            index.remove(entry.filter(), entry.value());
        }
        assertTrue(index.isEmpty());
        assertFalse(index.anyMatch("user.u0"));
    }

    @Test
    void aLookupRacingChangesNeverMissesAFilterThatStays() throws Exception {
        PatternIndex<Object> index = new PatternIndex<>();
        Object kept = new Object();
        index.add("room.keep.*", kept);
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<String> failure = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            while (!done.get() && failure.get() == null) {
                List<Object> found = new ArrayList<>();
                index.forEachMatch("room.keep.now", found::add);
                if (!found.contains(kept)) {
                    failure.set("lost room.keep.* while other children changed: " + found);
                }
            }
        });
        reader.start();
        try {
            Object other = new Object();
            for (int round = 0; round < 200 && failure.get() == null; round++) {
                for (int i = 0; i < 100; i++) {
                    index.add("room.r" + i + ".*", other);
                }
                for (int i = 0; i < 100; i++) {
                    index.remove("room.r" + i + ".*", other);
                }
            }
        } finally {
            done.set(true);
            reader.join(10_000);
        }
        assertFalse(reader.isAlive(), "reader did not stop");
        assertNull(failure.get(), failure.get());
    }

    private static void assertMatches(PatternIndex<Object> index, List<Entry> model, String topic) {
        Set<Object> expected = new HashSet<>();
        for (Entry entry : model) {
            if (Topics.matches(entry.filter(), topic)) {
                expected.add(entry.value());
            }
        }
        List<Object> found = new ArrayList<>();
        index.forEachMatch(topic, found::add);
        assertEquals(expected.size(), found.size(), "duplicates or misses for " + topic);
        assertEquals(expected, new HashSet<>(found), "matches of " + topic);
        assertEquals(!expected.isEmpty(), index.anyMatch(topic), "anyMatch of " + topic);
    }

    private static String randomFilter(Random random) {
        int segments = 1 + random.nextInt(4);
        StringBuilder filter = new StringBuilder();
        for (int i = 0; i < segments; i++) {
            if (i > 0) {
                filter.append('.');
            }
            int pick = random.nextInt(10);
            if (pick == 0) {
                filter.append('*');
            } else if (pick == 1 && i == segments - 1) {
                filter.append('>');
            } else {
                filter.append(WORDS[random.nextInt(WORDS.length)]);
            }
        }
        return filter.toString();
    }

    private static String randomTopic(Random random) {
        int segments = 1 + random.nextInt(5);
        StringBuilder topic = new StringBuilder();
        for (int i = 0; i < segments; i++) {
            if (i > 0) {
                topic.append('.');
            }
            topic.append(WORDS[random.nextInt(WORDS.length)]);
        }
        return topic.toString();
    }
}
