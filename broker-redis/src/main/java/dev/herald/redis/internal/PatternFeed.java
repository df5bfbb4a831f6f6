package dev.herald.redis.internal;

import dev.herald.core.HeraldException;
import dev.herald.core.Message;
import dev.herald.core.RejectReason;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's pattern subscriptions: classic {@code PSUBSCRIBE} on a glob per pattern (see {@link Keys} for the
 * scheme and its gates), and the messages they bring, handed to the broker's pattern subscriptions.
 *
 * <p>Two patterns may share a glob ({@code orders.*} and {@code orders.>}), and two globs may match one channel;
 * Redis then sends the message once per glob. Of the copies only the one that came through the first matching
 * glob, in a fixed order, is handed on. The set of globs in effect changes only when Redis confirms a subscribe or
 * an unsubscribe, and those confirmations come on the same connection, in order with the messages, so every copy
 * of one message is judged against the same set.
 *
 * <p>What this does not do: catch up after the pub/sub connection was lost, or after its queue overflowed (more
 * than {@link #QUEUED_MESSAGE_LIMIT} messages waiting: the rest are dropped and counted as shed). Pattern
 * subscriptions have no resume; messages they miss so are not delivered to them, and their offsets show the gap.
 *
 * <p>Concurrency: state is confined to one {@link Mailbox}, which also keeps each topic's messages in order.
 */
final class PatternFeed<T> {
    private static final Logger LOG = LoggerFactory.getLogger(PatternFeed.class);
    private static final CompletionStage<Void> DONE = CompletableFuture.completedFuture(null);
    /** How long a gate lives unless refreshed; nodes refresh theirs three times as often. */
    static final long GATE_TTL_MILLIS = 60_000;
    /** Pattern messages queued at most; more are dropped (pattern subscriptions are live-only). */
    static final int QUEUED_MESSAGE_LIMIT = 16_384;

    private final RedisTopicEngine<T> engine;
    private final Mailbox mailbox;
    private final AtomicInteger queued = new AtomicInteger();

    // Confined to the mailbox.
    /** The patterns with interest, by glob. */
    private final Map<String, Set<String>> patternsByGlob = new HashMap<>();
    /** Subscriptions waiting for their glob to take effect. */
    private final Map<String, List<CompletableFuture<Void>>> waiting = new HashMap<>();
    /** The globs Redis confirmed, in the order that decides which copy of a message is kept. */
    private final TreeSet<String> confirmed = new TreeSet<>();
    private volatile int globCount;
    private long lastGateTouchNanos = Long.MIN_VALUE / 2;

    PatternFeed(RedisTopicEngine<T> engine) {
        this.engine = engine;
        this.mailbox = new Mailbox(engine.dispatch(), "pattern subscriptions");
    }

    int globCount() {
        return globCount;
    }

    CompletionStage<Void> interest(String pattern) {
        CompletableFuture<Void> ready = new CompletableFuture<>();
        mailbox.post(() -> onInterest(pattern, ready));
        return ready;
    }

    CompletionStage<Void> withdraw(String pattern) {
        mailbox.post(() -> onWithdraw(pattern));
        return DONE;
    }

    void offerMessage(byte[] glob, byte[] channel, byte[] frame) {
        if (queued.incrementAndGet() > QUEUED_MESSAGE_LIMIT) {
            queued.decrementAndGet();
            engine.counters.framesShed.increment();
            return;
        }
        mailbox.post(() -> onMessage(string(glob), channel, frame));
    }

    void confirmed(byte[] glob, boolean subscribed) {
        String name = string(glob);
        mailbox.post(() -> {
            if (subscribed) {
                confirmed.add(name);
            } else {
                confirmed.remove(name);
            }
        });
    }

    void connectionLost() {
        mailbox.post(() -> {
            // Lettuce subscribes again when it reconnects, and Redis confirms each glob again.
            confirmed.clear();
            for (List<CompletableFuture<Void>> futures : waiting.values()) {
                for (CompletableFuture<Void> future : futures) {
                    future.completeExceptionally(new HeraldException(RejectReason.ENGINE_UNAVAILABLE,
                            "Redis is unreachable"));
                }
            }
            waiting.clear();
        });
    }

    /** The pub/sub connection is back: the gates may have expired meanwhile (or Redis lost them). */
    void resync() {
        mailbox.post(() -> {
            if (!patternsByGlob.isEmpty()) {
                touchGates();
            }
        });
    }

    /** Called periodically: keeps this node's gates alive while it has pattern subscriptions. */
    void refreshGates() {
        mailbox.post(() -> {
            if (!patternsByGlob.isEmpty()
                    && System.nanoTime() - lastGateTouchNanos > GATE_TTL_MILLIS * 1_000_000L / 3) {
                touchGates();
            }
        });
    }

    private CompletionStage<Void> touchGates() {
        lastGateTouchNanos = System.nanoTime();
        return engine.sending(() -> engine.link().touchKeys(engine.keys().allGates(), GATE_TTL_MILLIS));
    }

    private void onInterest(String pattern, CompletableFuture<Void> ready) {
        String glob = string(engine.keys().patternGlob(pattern));
        Set<String> patterns = patternsByGlob.get(glob);
        boolean newGlob = patterns == null;
        if (newGlob) {
            patterns = new HashSet<>();
            patternsByGlob.put(glob, patterns);
            globCount = patternsByGlob.size();
        }
        patterns.add(pattern);
        if (confirmed.contains(glob)) {
            ready.complete(null);
            return;
        }
        List<CompletableFuture<Void>> futures = waiting.get(glob);
        if (futures != null) {
            futures.add(ready);
            return;
        }
        futures = new ArrayList<>();
        futures.add(ready);
        waiting.put(glob, futures);
        // Gates first: once the subscription is confirmed, every publish that follows must see one.
        touchGates().thenCompose(ignored -> engine.sending(
                        () -> engine.link().psubscribe(glob.getBytes(StandardCharsets.UTF_8))))
                .whenComplete((ignored, failure) -> mailbox.post(() -> subscribed(glob, failure)));
    }

    private void subscribed(String glob, Throwable failure) {
        List<CompletableFuture<Void>> futures = waiting.remove(glob);
        if (futures == null) {
            return;
        }
        for (CompletableFuture<Void> future : futures) {
            if (failure == null) {
                future.complete(null);
            } else {
                future.completeExceptionally(engine.unavailable(failure));
            }
        }
        if (failure == null) {
            // The reply to PSUBSCRIBE is the confirmation: later messages through this glob are ours.
            confirmed.add(glob);
        }
    }

    private void onWithdraw(String pattern) {
        if (engine.listener().isSubscribed(pattern)) {
            return;
        }
        String glob = string(engine.keys().patternGlob(pattern));
        Set<String> patterns = patternsByGlob.get(glob);
        if (patterns == null || !patterns.remove(pattern) || !patterns.isEmpty()) {
            return;
        }
        patternsByGlob.remove(glob);
        globCount = patternsByGlob.size();
        // At once, not when Redis confirms: a new interest in the glob meanwhile must subscribe again, after this.
        confirmed.remove(glob);
        if (!engine.isClosed()) {
            engine.link().punsubscribe(glob.getBytes(StandardCharsets.UTF_8));
        }
        // The gates expire on their own once no node refreshes them.
    }

    private void onMessage(String glob, byte[] channel, byte[] bytes) {
        queued.decrementAndGet();
        String topic = engine.keys().topicOfPatternChannel(channel);
        if (topic == null || !glob.equals(firstMatch(string(channel)))) {
            return;
        }
        LiveFrame frame;
        try {
            frame = LiveFrame.parse(bytes);
        } catch (RuntimeException e) {
            LOG.warn("ignoring a malformed pattern frame on '{}': {}", topic, e.getMessage());
            return;
        }
        List<Message<T>> messages = engine.messages(topic, frame, 0);
        engine.counters.patternMessages.add(messages.size());
        try {
            engine.listener().onPatternMessages(messages);
        } catch (RuntimeException e) {
            LOG.warn("broker failed to take pattern messages of '{}'", topic, e);
        }
    }

    /** The first confirmed glob, in order, that matches the channel. */
    private String firstMatch(String channel) {
        for (String glob : confirmed) {
            if (globMatches(glob, channel)) {
                return glob;
            }
        }
        return null;
    }

    /** Matches a glob whose only special character is {@code *} (any run of characters), as Redis does. */
    static boolean globMatches(String glob, String text) {
        int g = 0;
        int t = 0;
        int star = -1;
        int resume = 0;
        while (t < text.length()) {
            if (g < glob.length() && glob.charAt(g) == '*') {
                star = g++;
                resume = t;
            } else if (g < glob.length() && glob.charAt(g) == text.charAt(t)) {
                g++;
                t++;
            } else if (star >= 0) {
                g = star + 1;
                t = ++resume;
            } else {
                return false;
            }
        }
        while (g < glob.length() && glob.charAt(g) == '*') {
            g++;
        }
        return g == glob.length();
    }

    private static String string(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
