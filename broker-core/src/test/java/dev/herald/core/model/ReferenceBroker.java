package dev.herald.core.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A plain, single-threaded model of what a broker must do: topics with gapless offsets from 1, history bounded by
 * count, weight and age, exact and wildcard subscriptions, resume from a position, replay of the last N messages, and what
 * each subscription must have received. It favours being obviously right over being fast: everything is lists
 * and linear scans.
 *
 * <p>Epochs are modelled as lifetime numbers per topic (1, 2, ...); the test binds each lifetime to the epoch
 * string the real broker reports. Lifetime 0 stands for "no topic" or an epoch the topic never had.
 *
 * <p>One thing the specification leaves open is <em>when</em> a topic whose messages all expired by age (and that
 * nobody subscribes to) is removed: at its next touch or by a periodic sweep. The model tracks such a topic as
 * "may be gone", and the caller resolves the question with what the broker reported ({@code sweptBefore}
 * arguments). Count-bounded history has no such freedom: an unneeded topic is gone at once.
 */
public final class ReferenceBroker {

    /** A message as the model sequenced it. */
    public record Msg(String topic, int lifetime, long offset, String data, long acceptedNanos) {
    }

    /** What a history read must return: messages, the topic's position and its oldest retained offset. */
    public record HistoryResult(List<Msg> messages, long positionOffset, int lifetime, long oldestOffset) {
    }

    /** What a subscribe must produce; {@code invalidPosition} when it must be refused. */
    public record SubscribeResult(int id, boolean invalidPosition, List<Msg> replay, boolean recovered,
                                  long positionOffset, int lifetime) {
    }

    /** What a publish must produce. */
    public record PublishResult(Msg message, boolean newLifetime) {
    }

    private static final class Topic {
        final String name;
        final int lifetime;
        long lastOffset;
        /** Messages kept by the count bound, oldest first; the age bound is applied when they are looked at. */
        final List<Msg> kept = new ArrayList<>();
        boolean maybeGone;

        Topic(String name, int lifetime) {
            this.name = name;
            this.lifetime = lifetime;
        }
    }

    private static final class Sub {
        final int id;
        final String filter;
        final boolean pattern;
        final List<Msg> received = new ArrayList<>();
        /** Each topic's last offset when the subscription was made. */
        final Map<String, Long> startOffsets = new HashMap<>();
        boolean open = true;
        String closedBy;

        Sub(int id, String filter) {
            this.id = id;
            this.filter = filter;
            this.pattern = isPattern(filter);
        }
    }

    private final int maxCount;
    private final long maxAgeNanos;
    private final long maxBytes;
    private final boolean keepsIdleTopics;
    private final Map<String, Topic> topics = new HashMap<>();
    private final Map<String, Integer> lifetimes = new HashMap<>();
    private final Map<Integer, Sub> subs = new LinkedHashMap<>();
    private long now;
    private int nextSubId = 1;
    private long published;
    private boolean open = true;

    /**
     * A model broker. A message's weight is the length of its data.
     *
     * @param maxCount    how many messages a topic keeps (0 for none, {@link Integer#MAX_VALUE} for no count bound)
     * @param maxAgeNanos how long a message is kept ({@link Long#MAX_VALUE} for no age bound)
     * @param maxBytes    the most weight a topic keeps ({@link Long#MAX_VALUE} for no weight bound)
     */
    public ReferenceBroker(int maxCount, long maxAgeNanos, long maxBytes) {
        this(maxCount, maxAgeNanos, maxBytes, false);
    }

    /**
     * A model broker whose topics, once made, live on whether anyone needs them or not, as in a shared store: their
     * epoch and offsets carry on.
     *
     * @param maxCount        as above
     * @param maxAgeNanos     as above
     * @param maxBytes        as above
     * @param keepsIdleTopics whether an unneeded topic stays
     */
    public ReferenceBroker(int maxCount, long maxAgeNanos, long maxBytes, boolean keepsIdleTopics) {
        this.maxCount = maxCount;
        this.maxAgeNanos = maxAgeNanos;
        this.maxBytes = maxBytes;
        this.keepsIdleTopics = keepsIdleTopics;
    }

    // ------------------------------------------------------------------ topic rules

    /** Whether a filter contains a wildcard segment. */
    public static boolean isPattern(String filter) {
        for (String segment : filter.split("\\.", -1)) {
            if (segment.equals("*") || segment.equals(">")) {
                return true;
            }
        }
        return false;
    }

    /** {@code *} matches one segment; a final {@code >} matches one or more; other segments match themselves. */
    public static boolean matches(String filter, String topic) {
        String[] f = filter.split("\\.", -1);
        String[] t = topic.split("\\.", -1);
        for (int i = 0; i < f.length; i++) {
            if (f[i].equals(">")) {
                return t.length > i;
            }
            if (i >= t.length) {
                return false;
            }
            if (!f[i].equals("*") && !f[i].equals(t[i])) {
                return false;
            }
        }
        return f.length == t.length;
    }

    // ------------------------------------------------------------------ time

    /** The model's clock, in nanoseconds. */
    public long now() {
        return now;
    }

    /** Lets time pass. */
    public void advance(long nanos) {
        now += nanos;
        settleAll();
    }

    // ------------------------------------------------------------------ queries

    /** Whether the history bound involves age, so an unneeded topic may linger until swept. */
    public boolean agesOut() {
        return maxAgeNanos != Long.MAX_VALUE;
    }

    /** The number of distinct topics that open exact subscriptions name: what a node follows. */
    public int followedTopics() {
        java.util.Set<String> followed = new java.util.HashSet<>();
        for (Sub s : subs.values()) {
            if (s.open && !s.pattern) {
                followed.add(s.filter);
            }
        }
        return followed.size();
    }

    /** Whether the topic exists (or may still exist) in the model. */
    public boolean exists(String topic) {
        return topics.containsKey(topic);
    }

    /** Whether the broker may or may not have removed the topic already. */
    public boolean mayBeGone(String topic) {
        Topic t = topics.get(topic);
        return t != null && t.maybeGone;
    }

    /** The topic's current lifetime, or 0 if it does not exist. */
    public int lifetime(String topic) {
        Topic t = topics.get(topic);
        return t == null ? 0 : t.lifetime;
    }

    /** The topic's latest offset, or 0 if it does not exist. */
    public long lastOffset(String topic) {
        Topic t = topics.get(topic);
        return t == null ? 0 : t.lastOffset;
    }

    /** The messages the topic retains now, oldest first; empty if it does not exist. */
    public List<Msg> retained(String topic) {
        Topic t = topics.get(topic);
        return t == null ? List.of() : retained(t);
    }

    /** How many topics exist. Meaningful only when {@link #agesOut()} is false. */
    public int topicCount() {
        return topics.size();
    }

    /** Names of the topics that exist (or may exist). */
    public List<String> topicNames() {
        return new ArrayList<>(topics.keySet());
    }

    /** The number of open exact subscriptions to a topic. */
    public int exactSubscribers(String topic) {
        int n = 0;
        for (Sub s : subs.values()) {
            if (s.open && !s.pattern && s.filter.equals(topic)) {
                n++;
            }
        }
        return n;
    }

    /** Ids of every subscription ever made, open or not. */
    public List<Integer> subscriptionIds() {
        return new ArrayList<>(subs.keySet());
    }

    /** What the subscription must have received so far, in order. */
    public List<Msg> received(int id) {
        return List.copyOf(sub(id).received);
    }

    /**
     * Whether a message of the topic at {@code offset} was published before the subscription was made (in the
     * topic's current lifetime).
     */
    public boolean publishedBefore(int id, String topic, long offset) {
        return offset <= sub(id).startOffsets.getOrDefault(topic, 0L);
    }

    /** Whether the subscription is to a pattern. */
    public boolean isPatternSubscription(int id) {
        return sub(id).pattern;
    }

    /** Whether the subscription is open. */
    public boolean isOpen(int id) {
        return sub(id).open;
    }

    /** {@code "app"}, {@code "broker"} or {@code null}: who closed the subscription. */
    public String closedBy(int id) {
        return sub(id).closedBy;
    }

    /** How many open subscriptions there are. */
    public int openSubscriptions() {
        int n = 0;
        for (Sub s : subs.values()) {
            if (s.open) {
                n++;
            }
        }
        return n;
    }

    /** How many publishes were accepted. */
    public long published() {
        return published;
    }

    /** Whether the broker is open. */
    public boolean isBrokerOpen() {
        return open;
    }

    // ------------------------------------------------------------------ operations

    /**
     * Publishes one message.
     *
     * @param sweptBefore whether the broker had removed the topic, which the model allowed ({@link #mayBeGone})
     */
    public PublishResult publish(String topic, String data, boolean sweptBefore) {
        return publishAll(topic, List.of(data), sweptBefore).get(0);
    }

    /**
     * Publishes messages at once: one after another within one lifetime of the topic, nothing in between.
     *
     * @param sweptBefore as in {@link #publish}
     */
    public List<PublishResult> publishAll(String topic, List<String> data, boolean sweptBefore) {
        requireOpen();
        Topic t = resolve(topic, sweptBefore);
        boolean created = t == null;
        if (created) {
            t = create(topic);
        }
        List<PublishResult> results = new ArrayList<>();
        for (String each : data) {
            Msg message = new Msg(topic, t.lifetime, ++t.lastOffset, each, now);
            t.kept.add(message);
            while (t.kept.size() > maxCount || weight(t.kept) > maxBytes) {
                t.kept.remove(0);
            }
            published++;
            for (Sub s : subs.values()) {
                if (s.open && matches(s.filter, topic)) {
                    s.received.add(message);
                }
            }
            results.add(new PublishResult(message, created && results.isEmpty()));
        }
        t.maybeGone = false;
        settleAll();
        return results;
    }

    /**
     * Subscribes live: to a topic or a pattern, messages published from now on.
     *
     * @param sweptBefore as in {@link #publish}; ignored for patterns
     */
    public SubscribeResult subscribe(String filter, boolean sweptBefore) {
        requireOpen();
        Sub s = new Sub(nextSubId++, filter);
        for (Topic t : topics.values()) {
            s.startOffsets.put(t.name, t.lastOffset);
        }
        if (s.pattern) {
            subs.put(s.id, s);
            return new SubscribeResult(s.id, false, List.of(), true, 0, 0);
        }
        Topic t = openTopic(filter, sweptBefore);
        subs.put(s.id, s);
        settleAll();
        return new SubscribeResult(s.id, false, List.of(), true, t.lastOffset, t.lifetime);
    }

    /**
     * Subscribes to a topic from a position: retained messages after it, then live ones.
     *
     * @param offset       the last offset the subscriber has
     * @param fromLifetime the lifetime the offset belongs to; 0 for an epoch the topic never had
     * @param sweptBefore  as in {@link #publish}
     */
    public SubscribeResult subscribeFrom(String topic, long offset, int fromLifetime, boolean sweptBefore) {
        requireOpen();
        Topic t = openTopic(topic, sweptBefore);
        List<Msg> retained = retained(t);
        long oldest = retained.isEmpty() ? t.lastOffset + 1 : retained.get(0).offset();
        List<Msg> replay = new ArrayList<>();
        boolean recovered;
        if (fromLifetime == t.lifetime) {
            if (offset > t.lastOffset) {
                settleAll();
                return new SubscribeResult(0, true, List.of(), false, 0, 0);
            }
            for (Msg m : retained) {
                if (m.offset() > offset) {
                    replay.add(m);
                }
            }
            // Complete when nothing between the position and the first retained message was evicted.
            recovered = offset + 1 >= oldest;
        } else {
            // The offset belongs to another lifetime: all that is retained, complete only if that is everything
            // this lifetime ever had and the subscriber had nothing.
            replay.addAll(retained);
            recovered = offset == 0 && oldest == 1;
        }
        return addReplaying(topic, t, replay, recovered);
    }

    /**
     * Subscribes to a topic replaying its newest {@code n} retained messages first.
     *
     * @param sweptBefore as in {@link #publish}
     */
    public SubscribeResult subscribeLast(String topic, int n, boolean sweptBefore) {
        requireOpen();
        Topic t = openTopic(topic, sweptBefore);
        List<Msg> retained = retained(t);
        List<Msg> replay = new ArrayList<>(retained.subList(Math.max(0, retained.size() - n), retained.size()));
        boolean recovered = replay.size() == Math.min(n, t.lastOffset);
        return addReplaying(topic, t, replay, recovered);
    }

    private SubscribeResult addReplaying(String topic, Topic t, List<Msg> replay, boolean recovered) {
        Sub s = new Sub(nextSubId++, topic);
        s.received.addAll(replay);
        subs.put(s.id, s);
        settleAll();
        return new SubscribeResult(s.id, false, List.copyOf(replay), recovered, t.lastOffset, t.lifetime);
    }

    /** Closes a subscription on the application's behalf. Idempotent. */
    public void unsubscribe(int id) {
        Sub s = sub(id);
        if (s.open) {
            s.open = false;
            s.closedBy = "app";
            settleAll();
        }
    }

    /**
     * Reads history: retained messages with an offset above {@code afterOffset}, the oldest or newest
     * {@code limit} of them.
     *
     * @param sweptBefore as in {@link #publish}
     */
    public HistoryResult history(String topic, long afterOffset, int limit, boolean latest, boolean sweptBefore) {
        Topic t = resolve(topic, sweptBefore);
        if (t == null) {
            return new HistoryResult(List.of(), 0, 0, 1);
        }
        List<Msg> retained = retained(t);
        List<Msg> after = new ArrayList<>();
        for (Msg m : retained) {
            if (m.offset() > afterOffset) {
                after.add(m);
            }
        }
        int take = Math.min(limit, after.size());
        List<Msg> selected = latest ? after.subList(after.size() - take, after.size()) : after.subList(0, take);
        long oldest = retained.isEmpty() ? t.lastOffset + 1 : retained.get(0).offset();
        HistoryResult result = new HistoryResult(List.copyOf(selected), t.lastOffset, t.lifetime, oldest);
        // A read evicts by age and then removes the topic if nothing needs it: no lingering after a read.
        t.maybeGone = false;
        if (!needed(t)) {
            topics.remove(topic);
        }
        return result;
    }

    /** Closes the broker: every open subscription is closed by the broker, later publishes are refused. */
    public void close() {
        open = false;
        for (Sub s : subs.values()) {
            if (s.open) {
                s.open = false;
                s.closedBy = "broker";
            }
        }
    }

    // ------------------------------------------------------------------ internals

    private Sub sub(int id) {
        return Objects.requireNonNull(subs.get(id), () -> "no subscription " + id);
    }

    private void requireOpen() {
        if (!open) {
            throw new IllegalStateException("the model broker is closed");
        }
    }

    /** The topic as it stands, after the caller said whether the broker had already removed a lingering one. */
    private Topic resolve(String topic, boolean sweptBefore) {
        Topic t = topics.get(topic);
        if (sweptBefore) {
            if (t == null || !t.maybeGone) {
                throw new IllegalStateException("topic '" + topic + "' cannot have been swept");
            }
            topics.remove(topic);
            return null;
        }
        if (t != null) {
            // Seen alive; from now on what keeps it is decided by settleAll.
            t.maybeGone = false;
        }
        return t;
    }

    /** A topic that an exact subscription is about to hold: created if needed. */
    private Topic openTopic(String topic, boolean sweptBefore) {
        Topic t = resolve(topic, sweptBefore);
        return t != null ? t : create(topic);
    }

    private Topic create(String topic) {
        int lifetime = lifetimes.merge(topic, 1, Integer::sum);
        Topic t = new Topic(topic, lifetime);
        topics.put(topic, t);
        return t;
    }

    private static long weight(List<Msg> messages) {
        long sum = 0;
        for (Msg m : messages) {
            sum += m.data().length();
        }
        return sum;
    }

    private List<Msg> retained(Topic t) {
        List<Msg> result = new ArrayList<>();
        for (Msg m : t.kept) {
            if (now - m.acceptedNanos() < maxAgeNanos) {
                result.add(m);
            }
        }
        return result;
    }

    /** A topic is needed while it retains a message or an open subscription matches it (or always, if kept). */
    private boolean needed(Topic t) {
        if (keepsIdleTopics || !retained(t).isEmpty()) {
            return true;
        }
        for (Sub s : subs.values()) {
            if (s.open && matches(s.filter, t.name)) {
                return true;
            }
        }
        return false;
    }

    /** Removes unneeded topics: at once under a count bound; "maybe" under an age bound. */
    private void settleAll() {
        for (Topic t : new ArrayList<>(topics.values())) {
            if (!needed(t)) {
                if (agesOut()) {
                    t.maybeGone = true;
                } else {
                    topics.remove(t.name);
                }
            }
        }
    }
}
