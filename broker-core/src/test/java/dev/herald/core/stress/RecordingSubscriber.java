package dev.herald.core.stress;

import dev.herald.core.CloseReason;
import dev.herald.core.Message;
import dev.herald.core.Subscriber;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A subscriber that records every offset it receives, per topic, and notes every broken rule of the subscriber
 * contract as it happens: concurrent calls, offsets out of order or repeated, a payload that is not the one
 * published at that offset, and any callback that starts after the test declared the subscription closed.
 *
 * <p>The broker never calls one subscriber concurrently, so the per-topic lists need no lock of their own; the
 * {@code synchronized} methods only give the test thread a consistent view while delivery still runs.
 */
class RecordingSubscriber implements Subscriber<Payload> {
    private final String name;
    private final PublishLedger ledger;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong received = new AtomicLong();
    private final Map<String, List<Long>> offsets = new HashMap<>();
    private final Map<String, List<Payload>> payloads = new HashMap<>();
    private final List<String> violations = new CopyOnWriteArrayList<>();
    private final List<CloseReason> closeReasons = new CopyOnWriteArrayList<>();
    private volatile boolean closeReturned;
    private volatile boolean onCloseCalled;

    RecordingSubscriber(String name, PublishLedger ledger) {
        this.name = name;
        this.ledger = ledger;
    }

    @Override
    public void onMessage(Message<Payload> message) {
        enter("onMessage(" + message.topic() + ":" + message.offset() + ")");
        try {
            if (onCloseCalled) {
                violation("onMessage after onClose: " + message.topic() + ":" + message.offset());
            }
            synchronized (this) {
                List<Long> list = offsets.computeIfAbsent(message.topic(), t -> new ArrayList<>());
                if (!list.isEmpty() && list.get(list.size() - 1) >= message.offset()) {
                    violation("offset " + message.offset() + " of " + message.topic() + " after "
                            + list.get(list.size() - 1));
                }
                list.add(message.offset());
            }
            if (ledger != null) {
                // Direct delivery runs inside publish, before the publisher learns its offset: compare later.
                synchronized (this) {
                    payloads.computeIfAbsent(message.topic(), t -> new ArrayList<>()).add(message.data());
                }
            }
            received.incrementAndGet();
            onReceived(message);
        } finally {
            inFlight.decrementAndGet();
        }
    }

    /** Hook for subclasses run inside the callback, after recording. */
    void onReceived(Message<Payload> message) {
    }

    @Override
    public void onBatchEnd() {
        enter("onBatchEnd");
        inFlight.decrementAndGet();
    }

    @Override
    public void onClose(CloseReason reason) {
        enter("onClose(" + reason + ")");
        try {
            if (onCloseCalled) {
                violation("onClose called twice");
            }
            onCloseCalled = true;
            closeReasons.add(reason);
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private void enter(String callback) {
        if (inFlight.incrementAndGet() != 1) {
            violation("concurrent callback " + callback);
        }
        if (closeReturned) {
            violation(callback + " started after close() returned");
        }
    }

    void violation(String what) {
        // Enough to diagnose; a broken run must not flood the report.
        if (violations.size() < 20) {
            violations.add(name + ": " + what);
        }
    }

    /**
     * Checks every received payload against the ledger. Call once publishing is over: a message may be delivered
     * before its publisher has learnt (and recorded) its offset.
     *
     * @return all violations, payload mismatches included
     */
    synchronized List<String> checkPayloads() {
        payloads.forEach((topic, list) -> {
            List<Long> got = offsets.get(topic);
            for (int i = 0; i < list.size(); i++) {
                Payload published = ledger.payload(topic, got.get(i));
                if (!list.get(i).equals(published)) {
                    violation(topic + ":" + got.get(i) + " carried " + list.get(i) + " but " + published
                            + " was published there");
                }
            }
        });
        return violations;
    }

    /** The test calls this right after {@code Subscription.close()} returned. */
    void markCloseReturned() {
        closeReturned = true;
    }

    long received() {
        return received.get();
    }

    synchronized List<Long> offsets(String topic) {
        return List.copyOf(offsets.getOrDefault(topic, List.of()));
    }

    synchronized Map<String, List<Long>> allOffsets() {
        Map<String, List<Long>> copy = new HashMap<>();
        offsets.forEach((topic, list) -> copy.put(topic, List.copyOf(list)));
        return copy;
    }

    synchronized long lastOffset(String topic) {
        List<Long> list = offsets.get(topic);
        return list == null || list.isEmpty() ? 0 : list.get(list.size() - 1);
    }

    /** What broke so far, payloads not yet compared (see {@link #checkPayloads()}). */
    List<String> violations() {
        return violations;
    }

    List<CloseReason> closeReasons() {
        return closeReasons;
    }

    @Override
    public String toString() {
        return name;
    }
}
