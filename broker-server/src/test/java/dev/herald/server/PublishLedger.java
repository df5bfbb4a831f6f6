package dev.herald.server;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * What the publishers of a test were told: for each topic, the message accepted at each offset, and the data of
 * the publishes that were not acknowledged. The streams clients received are checked against it. Thread-safe.
 *
 * <p>Every publish carries data naming its publisher and a sequence number, {@code {"pub": "n1-http", "seq": 7}},
 * with spaces inside so that a server that re-serialized the data would be caught.
 */
final class PublishLedger {

    /**
     * A publish the server acknowledged.
     *
     * @param publisher who published it
     * @param seq       the publisher's sequence number for it
     */
    record Accepted(String topic, long offset, String id, String timestamp, String data, String publisher, int seq) {
    }

    private final Map<String, Map<Long, Accepted>> accepted = new ConcurrentHashMap<>();
    private final Set<String> unacknowledged = ConcurrentHashMap.newKeySet();
    private final Queue<String> conflicts = new ConcurrentLinkedQueue<>();

    /**
     * The data a publisher sends as its {@code seq}th publish.
     *
     * @return the data's JSON text
     */
    static String data(String publisher, int seq) {
        return "{\"pub\": " + TestJson.quote(publisher) + ", \"seq\": " + seq + "}";
    }

    /**
     * Records an acknowledged publish; an offset given twice is recorded as a conflict.
     *
     * @param reply the acknowledgement: an HTTP publish response or a {@code published} frame
     */
    void accepted(String topic, String data, String publisher, int seq, Map<String, Object> reply) {
        long offset = ((Number) reply.get("offset")).longValue();
        Object id = reply.containsKey("messageId") ? reply.get("messageId") : reply.get("id");
        Accepted a = new Accepted(topic, offset, (String) id, (String) reply.get("timestamp"), data, publisher, seq);
        if (!topic.equals(reply.get("topic"))) {
            conflicts.add("publish to " + topic + " answered for another topic: " + reply);
        }
        Accepted before = accepted.computeIfAbsent(topic, t -> new ConcurrentHashMap<>()).putIfAbsent(offset, a);
        if (before != null) {
            conflicts.add("offset " + offset + " of " + topic + " given to " + before + " and to " + a);
        }
    }

    /**
     * Records a publish that was refused or failed: it may or may not have been stored.
     *
     * @param data the data it carried
     */
    void unacknowledged(String data) {
        unacknowledged.add(data);
    }

    /**
     * How many publishes to {@code topic} were acknowledged.
     *
     * @return the count
     */
    int count(String topic) {
        return accepted.getOrDefault(topic, Map.of()).size();
    }

    /**
     * The highest acknowledged offset of {@code topic}.
     *
     * @return the offset, or 0 if none
     */
    long lastOffset(String topic) {
        return accepted.getOrDefault(topic, Map.of()).keySet().stream().mapToLong(Long::longValue).max().orElse(0);
    }

    /**
     * How many publishes were not acknowledged.
     *
     * @return the count
     */
    int unacknowledgedCount() {
        return unacknowledged.size();
    }

    /**
     * The acknowledged publishes of {@code topic}, by offset.
     *
     * @return a sorted copy
     */
    TreeMap<Long, Accepted> acceptedOf(String topic) {
        return new TreeMap<>(accepted.getOrDefault(topic, Map.of()));
    }

    /** Fails unless every acknowledged publish got its own offset, and each publisher's offsets grew with it. */
    void assertDistinctOffsetsInPublisherOrder() {
        if (!conflicts.isEmpty()) {
            throw new AssertionError(conflicts.size() + " conflicting acknowledgements, the first: "
                    + conflicts.stream().limit(5).toList());
        }
        for (Map<Long, Accepted> topic : accepted.values()) {
            Map<String, Accepted> lastOfPublisher = new HashMap<>();
            for (Accepted a : new TreeMap<>(topic).values()) {
                Accepted before = lastOfPublisher.put(a.publisher(), a);
                // In offset order, a publisher that waits for each answer before its next publish must appear in
                // the order it published.
                if (before != null && before.seq() >= a.seq()) {
                    throw new AssertionError("publisher " + a.publisher() + " sent " + a + " before " + before
                            + " but got a higher offset for it");
                }
            }
        }
    }

    /**
     * Fails unless the acknowledged offsets of {@code topic} are exactly 1 to their count, as when every publish
     * was acknowledged.
     */
    void assertConsecutiveOffsets(String topic) {
        assertDistinctOffsetsInPublisherOrder();
        TreeMap<Long, Accepted> byOffset = acceptedOf(topic);
        List<Long> offsets = new ArrayList<>(byOffset.keySet());
        long n = offsets.size();
        // Distinct offsets from 1 whose highest is their count are exactly 1..count.
        if (n == 0 || byOffset.firstKey() != 1 || byOffset.lastKey() != n) {
            throw new AssertionError(topic + ": " + n + " acknowledged publishes, offsets not 1.." + n + ": "
                    + summarize(offsets));
        }
    }

    /**
     * Checks a stream a client received: exactly offsets 1 to {@code last} of {@code topic}, each once and in
     * order; each acknowledged offset with the acknowledged id, timestamp and data, byte for byte; every other
     * offset (only with {@code allowUnacknowledged}) with the data of a publish that was not acknowledged; and
     * each publisher's messages in the order it sent them.
     *
     * @param who    the client, for failure messages
     * @param stream the messages of {@code topic} as received
     */
    void assertStream(String who, String topic, List<Received> stream, long last, boolean allowUnacknowledged) {
        List<Long> offsets = stream.stream().map(Received::offset).toList();
        boolean exact = offsets.size() == last;
        for (int i = 0; exact && i < offsets.size(); i++) {
            exact = offsets.get(i) == i + 1;
        }
        if (!exact) {
            throw new AssertionError(who + " received offsets of " + topic + " that are not exactly 1.." + last
                    + ": " + summarize(offsets));
        }
        Map<Long, Accepted> byOffset = acceptedOf(topic);
        Map<String, Integer> lastSeq = new HashMap<>();
        for (Received m : stream) {
            Accepted a = byOffset.get(m.offset());
            if (a != null) {
                if (!a.data().equals(m.data()) || !a.id().equals(m.id()) || !a.timestamp().equals(m.timestamp())) {
                    throw new AssertionError(who + " received at offset " + m.offset() + " of " + topic + " "
                            + m.frame() + " but the publisher was told " + a);
                }
            } else if (!allowUnacknowledged || !unacknowledged.contains(m.data())) {
                throw new AssertionError(who + " received " + m.frame() + " at an offset no publish of " + topic
                        + " was acknowledged for, with data of no unacknowledged publish");
            }
            Map<String, Object> data = TestJson.object(m.data());
            String publisher = (String) data.get("pub");
            int seq = ((Number) data.get("seq")).intValue();
            Integer before = lastSeq.put(publisher, seq);
            if (before != null && before >= seq) {
                throw new AssertionError(who + " received seq " + seq + " of " + publisher + " after seq " + before
                        + " on " + topic);
            }
        }
    }

    /** Describes a list of offsets briefly: its size, its first gaps and duplicates. */
    static String summarize(List<Long> offsets) {
        StringBuilder sb = new StringBuilder(offsets.size() + " offsets");
        Set<Long> seen = new HashSet<>();
        List<String> oddities = new ArrayList<>();
        long expected = 1;
        for (int i = 0; i < offsets.size() && oddities.size() < 10; i++) {
            long o = offsets.get(i);
            if (!seen.add(o)) {
                oddities.add("duplicate " + o + " at index " + i);
            } else if (o != expected) {
                oddities.add("index " + i + " has " + o + " where " + expected + " was due");
            }
            expected = o + 1;
        }
        if (!offsets.isEmpty()) {
            sb.append(", first ").append(offsets.get(0)).append(", last ").append(offsets.get(offsets.size() - 1));
        }
        return sb.append(", ").append(oddities).toString();
    }
}
