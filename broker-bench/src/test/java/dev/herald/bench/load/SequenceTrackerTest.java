package dev.herald.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SequenceTrackerTest {

    @Test
    void inOrderDeliveryHasNothingMissing() {
        SequenceTracker tracker = new SequenceTracker();
        for (long s = 0; s < 100; s++) {
            tracker.accept(0, s);
        }
        assertEquals(100, tracker.distinct);
        assertEquals(0, tracker.missing(0, 100));
        assertEquals(5, tracker.missing(0, 105), "the tail not yet received is missing");
        assertEquals(0, tracker.duplicates + tracker.outOfOrder);
    }

    @Test
    void tellsLateArrivalsFromDuplicatesAndCountsHoles() {
        SequenceTracker tracker = new SequenceTracker();
        tracker.accept(0, 0);
        tracker.accept(0, 5);      // 1..4 missing for now
        tracker.accept(0, 3);      // late, fills part of the hole
        tracker.accept(0, 3);      // duplicate
        tracker.accept(0, 0);      // duplicate
        tracker.accept(0, 6);
        assertEquals(4, tracker.distinct);
        assertEquals(1, tracker.outOfOrder);
        assertEquals(2, tracker.duplicates);
        assertEquals(3, tracker.missing(0, 7), "1, 2 and 4 never arrived");
    }

    @Test
    void keepsPublishersApart() {
        SequenceTracker tracker = new SequenceTracker();
        tracker.accept(2, 0);
        tracker.accept(0, 0);
        tracker.accept(2, 1);
        assertEquals(0, tracker.missing(0, 1));
        assertEquals(1, tracker.missing(1, 1), "nothing from publisher 1 arrived");
        assertEquals(0, tracker.missing(2, 2));
        assertEquals(0, tracker.duplicates + tracker.outOfOrder);
    }

    @Test
    void aResumeThatSkipsMessagesLeavesAHoleThatCountsAsLoss() {
        SequenceTracker tracker = new SequenceTracker();
        for (long s = 0; s < 10; s++) {
            tracker.accept(0, s);
        }
        for (long s = 15; s < 20; s++) {  // reconnected, and 10..14 never came
            tracker.accept(0, s);
        }
        assertEquals(5, tracker.missing(0, 20), "the hole is lost even though later messages arrived");
        assertEquals(7, tracker.missing(0, 22), "and so is the tail not received");
        assertTrue(tracker.received(0, 9));
        assertFalse(tracker.received(0, 12));
        assertTrue(tracker.received(0, 15));
        assertFalse(tracker.received(0, 20));
        assertFalse(tracker.received(1, 0), "nothing from publisher 1");
        assertEquals("publisher 0: 1 holes [10,15) missing tail [20,22)", tracker.describeMissing(0, 22));
    }
}
