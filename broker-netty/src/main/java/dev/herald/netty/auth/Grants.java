package dev.herald.netty.auth;

import dev.herald.core.Topics;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * What a client may do: the topic patterns it may subscribe to (and read the history of) and those it may publish
 * to. Patterns use the subscription syntax: {@code *} stands for one segment, a final {@code >} for one or more.
 *
 * <p>A subscription to a pattern is allowed only when every topic the pattern can match is granted, by one grant
 * or by several together: {@code orders.*} is within {@code orders.>}, and {@code a.>} is within the pair
 * {@code a.*} and {@code a.*.>}, but {@code orders.*} is not within {@code orders.eu}. This is containment of the
 * sets of topics, not a comparison of strings.
 *
 * <p>Immutable and thread-safe.
 */
public final class Grants {
    private static final Grants ALL = new Grants(List.of(">"), List.of(">"));
    private static final Grants NONE = new Grants(List.of(), List.of());

    private final List<String> subscribe;
    private final List<String> publish;
    private final String[][] subscribeSegments;
    private final String[][] publishSegments;

    private Grants(List<String> subscribe, List<String> publish) {
        this.subscribe = List.copyOf(subscribe);
        this.publish = List.copyOf(publish);
        this.subscribeSegments = segmentsOf(this.subscribe);
        this.publishSegments = segmentsOf(this.publish);
    }

    /**
     * Grants from two lists of topic names and patterns.
     *
     * @param subscribe what the client may subscribe to and read the history of
     * @param publish   what it may publish to
     * @return the grants
     * @throws IllegalArgumentException if an entry is not a valid topic name or pattern
     */
    public static Grants of(Collection<String> subscribe, Collection<String> publish) {
        return new Grants(validated(subscribe, "subscribe"), validated(publish, "publish"));
    }

    /**
     * Everything: subscribe, publish and read every topic.
     *
     * @return the grants of {@code >} for both
     */
    public static Grants all() {
        return ALL;
    }

    /**
     * Nothing.
     *
     * @return empty grants
     */
    public static Grants none() {
        return NONE;
    }

    /**
     * Everything these grants or {@code other} allow.
     *
     * @param other more grants
     * @return the union of both
     */
    public Grants union(Grants other) {
        if (other.isNone() || other.equals(this)) {
            return this;
        }
        if (isNone()) {
            return other;
        }
        return new Grants(merged(subscribe, other.subscribe), merged(publish, other.publish));
    }

    private static List<String> merged(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        for (String pattern : b) {
            if (!all.contains(pattern)) {
                all.add(pattern);
            }
        }
        return all;
    }

    /**
     * The patterns the client may subscribe to.
     *
     * @return the subscribe grants, as given
     */
    public List<String> subscribePatterns() {
        return subscribe;
    }

    /**
     * The patterns the client may publish to.
     *
     * @return the publish grants, as given
     */
    public List<String> publishPatterns() {
        return publish;
    }

    /**
     * Whether the client may subscribe to a topic or a pattern: every topic it can match must be granted.
     *
     * @param filter a topic name or pattern
     * @return {@code true} if allowed; {@code false} for an invalid filter
     */
    public boolean maySubscribe(String filter) {
        return Topics.isValidFilter(filter) && covered(split(filter), subscribeSegments);
    }

    /**
     * Whether the client may read a topic's history, or resume it: the same as subscribing to it.
     *
     * @param topic a topic name
     * @return {@code true} if allowed
     */
    public boolean mayRead(String topic) {
        return Topics.isValidName(topic) && covered(split(topic), subscribeSegments);
    }

    /**
     * Whether the client may publish to a topic.
     *
     * @param topic a topic name
     * @return {@code true} if allowed; {@code false} for an invalid name
     */
    public boolean mayPublish(String topic) {
        return Topics.isValidName(topic) && covered(split(topic), publishSegments);
    }

    /**
     * Whether these grants allow nothing at all.
     *
     * @return {@code true} if both lists are empty
     */
    public boolean isNone() {
        return subscribe.isEmpty() && publish.isEmpty();
    }

    /**
     * Whether every topic {@code filter} matches is matched by one of {@code grants}. Walks the filter's segments
     * keeping the grants still consistent with it. A segment a filter leaves open ({@code *}) can be any string,
     * and since there are more strings than literals in the grants, only grants that leave it open too cover every
     * choice. A trailing {@code >} stands for one to {@link Topics#MAX_SEGMENTS} minus its position open segments,
     * each checked.
     */
    private static boolean covered(String[] filter, String[][] grants) {
        if (grants.length == 0) {
            return false;
        }
        int last = filter.length - 1;
        if (filter[last].equals(">")) {
            String[] expanded = new String[Topics.MAX_SEGMENTS];
            System.arraycopy(filter, 0, expanded, 0, last);
            for (int length = last + 1; length <= Topics.MAX_SEGMENTS; length++) {
                expanded[length - 1] = "*";
                if (!coveredExactly(expanded, length, grants)) {
                    return false;
                }
            }
            return true;
        }
        return coveredExactly(filter, filter.length, grants);
    }

    /** For a filter of {@code length} segments, each a literal or {@code *}, without {@code >}. */
    private static boolean coveredExactly(String[] filter, int length, String[][] grants) {
        for (String[] grant : grants) {
            if (grantCovers(grant, filter, length)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether one grant covers the filter. One grant is enough, since a filter without {@code >} has a fixed
     * length and each of its segments is either fixed or wholly open: a set of such grants covers a product of
     * segment sets only if one of them does (the open segments admit a string no literal grant names).
     */
    private static boolean grantCovers(String[] grant, String[] filter, int length) {
        for (int i = 0; i < length; i++) {
            if (i >= grant.length) {
                return false;
            }
            String g = grant[i];
            if (g.equals(">")) {
                return true;
            }
            if (g.equals("*")) {
                continue;
            }
            if (!g.equals(filter[i])) {
                return false;
            }
        }
        return grant.length == length;
    }

    private static String[][] segmentsOf(List<String> patterns) {
        String[][] segments = new String[patterns.size()][];
        for (int i = 0; i < segments.length; i++) {
            segments[i] = split(patterns.get(i));
        }
        return segments;
    }

    private static String[] split(String filter) {
        return filter.split("\\.", -1);
    }

    private static List<String> validated(Collection<String> patterns, String what) {
        List<String> list = new ArrayList<>(patterns.size());
        for (String pattern : patterns) {
            if (pattern == null || !Topics.isValidFilter(pattern)) {
                throw new IllegalArgumentException("not a topic name or pattern in " + what + ": '" + pattern + "'");
            }
            list.add(pattern);
        }
        return list;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Grants g && g.subscribe.equals(subscribe) && g.publish.equals(publish);
    }

    @Override
    public int hashCode() {
        return subscribe.hashCode() * 31 + publish.hashCode();
    }

    @Override
    public String toString() {
        return "Grants{subscribe=" + subscribe + ", publish=" + publish + "}";
    }
}
