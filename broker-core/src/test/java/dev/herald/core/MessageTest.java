package dev.herald.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A message with an id built on first use is, to every observer, the message with that id given. */
@Timeout(10)
class MessageTest {
    private static final Instant AT = Instant.parse("2026-01-02T03:04:05.123456789Z");

    @Test
    void idBuiltFromThePrefixEqualsTheSameIdGiven() {
        Message<String> lazy = Message.withIdPrefix("epoch.7-", "a.b", 42, AT, "x");
        Message<String> given = new Message<>("epoch.7-42", "a.b", 42, AT, "x");
        assertEquals("epoch.7-42", lazy.id());
        assertEquals(given, lazy);
        assertEquals(lazy, given);
        assertEquals(given.hashCode(), lazy.hashCode());
        assertEquals(given.toString(), lazy.toString());
        assertEquals("Message[id=epoch.7-42, topic=a.b, offset=42, timestamp=" + AT + ", data=x]", lazy.toString());
    }

    @Test
    void everyComponentTakesPartInEquality() {
        Message<String> base = new Message<>("i-1", "t", 1, AT, "x");
        assertNotEquals(base, new Message<>("i-2", "t", 1, AT, "x"));
        assertNotEquals(base, new Message<>("i-1", "u", 1, AT, "x"));
        assertNotEquals(base, new Message<>("i-1", "t", 2, AT, "x"));
        assertNotEquals(base, new Message<>("i-1", "t", 1, AT.plusNanos(1), "x"));
        assertNotEquals(base, new Message<>("i-1", "t", 1, AT, "y"));
        assertNotEquals(base, Message.withIdPrefix("i-", "t", 2, AT, "x"));
        assertNotEquals(base, null);
    }

    @Test
    void bothWaysOfMakingOneValidateAlike() {
        assertThrows(NullPointerException.class, () -> new Message<>(null, "t", 1, AT, "x"));
        assertThrows(NullPointerException.class, () -> Message.withIdPrefix(null, "t", 1, AT, "x"));
        assertThrows(NullPointerException.class, () -> Message.withIdPrefix("p", null, 1, AT, "x"));
        assertThrows(NullPointerException.class, () -> Message.withIdPrefix("p", "t", 1, null, "x"));
        assertThrows(NullPointerException.class, () -> Message.withIdPrefix("p", "t", 1, AT, null));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Message.withIdPrefix("p", "t", 0, AT, "x"));
        assertEquals("offset must be >= 1, was 0", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Message<>("i", "t", -1, AT, "x"));
    }

    @Test
    void threadsRacingToBuildTheIdAllSeeTheSameText() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 2_000; round++) {
                Message<String> message = Message.withIdPrefix("p-", "t", round + 1L, AT, "x");
                String expected = "p-" + (round + 1);
                CyclicBarrier start = new CyclicBarrier(4);
                List<Future<String>> ids = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    ids.add(threads.submit(() -> {
                        start.await(5, TimeUnit.SECONDS);
                        return message.id();
                    }));
                }
                for (Future<String> id : ids) {
                    assertEquals(expected, id.get(5, TimeUnit.SECONDS));
                }
            }
        } finally {
            threads.shutdownNow();
        }
    }
}
