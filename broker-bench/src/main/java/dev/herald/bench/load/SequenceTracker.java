package dev.herald.bench.load;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Checks one subscriber's deliveries against each publisher's gapless sequence (per topic a subscriber follows):
 * counts distinct deliveries, duplicates and late (out-of-order) arrivals, and remembers holes as ranges so a
 * late arrival can be told from a duplicate and a long gap costs one entry.
 *
 * <p>Not thread-safe: used on the subscriber's event loop; read by others only after its channel has closed.
 */
final class SequenceTracker {
    private long[] next = new long[1];
    private final List<TreeMap<Long, Long>> holes = new ArrayList<>();
    long distinct;
    long duplicates;
    long outOfOrder;

    void accept(int publisher, long sequence) {
        if (publisher >= next.length) {
            next = Arrays.copyOf(next, publisher + 1);
        }
        long expected = next[publisher];
        if (sequence == expected) {
            next[publisher] = expected + 1;
            distinct++;
        } else if (sequence > expected) {
            hole(publisher).put(expected, sequence);
            next[publisher] = sequence + 1;
            distinct++;
        } else if (fillHole(publisher, sequence)) {
            distinct++;
            outOfOrder++;
        } else {
            duplicates++;
        }
    }

    /** Messages of {@code publisher} not received, given how many it sent to this subscriber's topic. */
    long missing(int publisher, long sent) {
        if (publisher >= next.length) {
            return sent;
        }
        long missing = Math.max(0, sent - next[publisher]);
        TreeMap<Long, Long> h = publisher < holes.size() ? holes.get(publisher) : null;
        if (h != null) {
            for (Map.Entry<Long, Long> range : h.entrySet()) {
                missing += range.getValue() - range.getKey();
            }
        }
        return missing;
    }

    /** Whether message {@code sequence} of {@code publisher} has arrived. */
    boolean received(int publisher, long sequence) {
        if (publisher >= next.length || sequence >= next[publisher]) {
            return false;
        }
        TreeMap<Long, Long> h = publisher < holes.size() ? holes.get(publisher) : null;
        Map.Entry<Long, Long> range = h == null ? null : h.floorEntry(sequence);
        return range == null || sequence >= range.getValue();
    }

    /** What {@link #missing} counts, in words: the holes (first 5) and the missing tail. For diagnosing loss. */
    String describeMissing(int publisher, long sent) {
        long received = publisher < next.length ? next[publisher] : 0;
        StringBuilder d = new StringBuilder("publisher " + publisher + ":");
        TreeMap<Long, Long> h = publisher < holes.size() ? holes.get(publisher) : null;
        if (h != null && !h.isEmpty()) {
            d.append(' ').append(h.size()).append(" holes");
            int shown = 0;
            for (Map.Entry<Long, Long> range : h.entrySet()) {
                if (shown++ == 5) {
                    d.append(" ...");
                    break;
                }
                d.append(" [").append(range.getKey()).append(',').append(range.getValue()).append(')');
            }
        }
        if (sent > received) {
            d.append(" missing tail [").append(received).append(',').append(sent).append(')');
        }
        return d.toString();
    }

    private TreeMap<Long, Long> hole(int publisher) {
        while (holes.size() <= publisher) {
            holes.add(null);
        }
        TreeMap<Long, Long> h = holes.get(publisher);
        if (h == null) {
            h = new TreeMap<>();
            holes.set(publisher, h);
        }
        return h;
    }

    /** Removes {@code sequence} from the hole containing it; {@code false} if it was in no hole. */
    private boolean fillHole(int publisher, long sequence) {
        TreeMap<Long, Long> h = publisher < holes.size() ? holes.get(publisher) : null;
        if (h == null) {
            return false;
        }
        Map.Entry<Long, Long> range = h.floorEntry(sequence);
        if (range == null || sequence >= range.getValue()) {
            return false;
        }
        long from = range.getKey();
        long to = range.getValue();
        h.remove(from);
        if (from < sequence) {
            h.put(from, sequence);
        }
        if (sequence + 1 < to) {
            h.put(sequence + 1, to);
        }
        return true;
    }
}
