package dev.herald.netty.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.core.Topics;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * {@link Grants} against a brute-force model of what a grant means: a filter is allowed iff every topic it matches
 * is matched by some grant, as {@link Topics#matches} decides matching.
 *
 * <p>The model cannot enumerate every topic, but it need not. It enumerates the topics made of the literals that
 * the grants and the filter name plus one fresh literal, of 1 to M + 1 segments, where M is the most segments of
 * any of those patterns. That finite set is complete, because any topic T has a stand-in T' in it that every one
 * of the patterns matches exactly when it matches T:
 * <ul>
 *   <li>Whether a pattern matches a topic depends, segment by segment, only on whether the topic's segment equals
 *       the pattern's literal there (a wildcard takes any segment). Replacing each segment of T that no pattern
 *       names with the fresh literal keeps every one of those answers, since neither the old nor the new segment
 *       equals any named literal. So the fresh literal stands for every string not named.</li>
 *   <li>A pattern without {@code >} matches only topics of its own length, at most M; one with {@code >} after k
 *       segments (k &lt; M) matches topics of more than k segments. A topic of more than M + 1 segments and its first
 *       M + 1 segments are therefore matched by the same patterns: lengths beyond M + 1 behave as M + 1.</li>
 * </ul>
 * So if some topic is matched by the filter and by no grant, one in the enumeration is too, and the other way
 * round trivially; and every enumerated topic is a valid name (short literals, at most M + 1 &lt;= 32 segments).
 * The model then agrees with the true meaning exactly, and Grants must agree with the model both ways: it may
 * neither allow a subscription that reaches an ungranted topic nor refuse one that is covered.
 */
class GrantsProperties {
    private static final List<String> LITERALS = List.of("a", "b", "c");

    /** A case: grants, and a filter or topic to check against them. */
    record Case(List<String> grants, String filter) {
    }

    @Property(tries = 2000)
    void maySubscribeAgreesWithTheModel(@ForAll("subscriptions") Case c) {
        boolean expected = Model.covers(c.grants(), c.filter());
        Statistics.label("allowed").collect(expected);
        Statistics.label("filter").collect(Topics.isPattern(c.filter()) ? "pattern" : "name");
        assertEquals(expected, Grants.of(c.grants(), List.of()).maySubscribe(c.filter()),
                () -> "grants " + c.grants() + ", filter " + c.filter());
    }

    @Property(tries = 1000)
    void mayReadAndMayPublishAgreeWithTheModel(@ForAll("grantLists") List<String> subscribe,
            @ForAll("grantLists") List<String> publish, @ForAll("names") String topic) {
        Grants grants = Grants.of(subscribe, publish);
        boolean read = Model.covers(subscribe, topic);
        boolean write = Model.covers(publish, topic);
        Statistics.label("read").collect(read);
        Statistics.label("publish").collect(write);
        String what = "subscribe " + subscribe + ", publish " + publish + ", topic " + topic;
        assertEquals(read, grants.mayRead(topic), what);
        assertEquals(read, grants.maySubscribe(topic), "subscribing to a name is reading it: " + what);
        assertEquals(write, grants.mayPublish(topic), what);
    }

    // ---- generators ----

    /** Patterns of 1 to 4 segments over a, b, c and *, some ending in >. */
    @Provide
    Arbitrary<String> patterns() {
        Arbitrary<List<String>> segments = Arbitraries.of("a", "b", "c", "*").list().ofMinSize(1).ofMaxSize(4);
        return Combinators.combine(segments, Arbitraries.integers().between(0, 2)).as((s, tail) -> {
            List<String> p = new ArrayList<>(s);
            if (tail == 0) {
                p.set(p.size() - 1, ">");
            }
            return String.join(".", p);
        });
    }

    /**
     * Up to 4 patterns drawn freely, or now and then a family that covers a run of lengths, where the reach of a
     * trailing {@code >} decides: p.*<sup>k</sup> for every k from lo to hi (p one segment, 0 &lt;= lo &lt;= hi
     * &lt;= 3), maybe one p.*<sup>j</sup>.&gt;, and maybe one free pattern beside them.
     */
    @Provide
    Arbitrary<List<String>> grantLists() {
        Arbitrary<List<String>> free = patterns().list().ofMaxSize(4);
        Arbitrary<List<String>> family = Combinators.combine(Arbitraries.of("a", "b", "*"),
                Arbitraries.integers().between(0, 3), Arbitraries.integers().between(0, 3),
                Arbitraries.integers().between(-1, 2), patterns().list().ofMaxSize(1)).as(
                        (p, lo, span, tail, others) -> {
                            List<String> grants = new ArrayList<>();
                            for (int k = lo; k <= Math.min(3, lo + span); k++) {
                                grants.add(p + ".*".repeat(k));
                            }
                            if (tail >= 0) {
                                grants.add(p + ".*".repeat(tail) + ".>");
                            }
                            grants.addAll(others);
                            return grants;
                        });
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(2, free), net.jqwik.api.Tuple.of(1, family));
    }

    /** Topic names of 1 to 5 segments over a, b, c and d (a literal no grant names). */
    @Provide
    Arbitrary<String> names() {
        return Arbitraries.of("a", "b", "c", "d").list().ofMinSize(1).ofMaxSize(5).map(s -> String.join(".", s));
    }

    /**
     * Grants with a filter that is either drawn freely (mostly refused) or derived from one of the grants by
     * narrowing or widening it a little (often allowed, and near the edge when not).
     */
    @Provide
    Arbitrary<Case> subscriptions() {
        return grantLists().flatMap(grants -> {
            Arbitrary<String> free = Arbitraries.oneOf(patterns(), names());
            Arbitrary<String> filter = grants.isEmpty() ? free
                    : Arbitraries.frequencyOf(
                            net.jqwik.api.Tuple.of(1, free),
                            net.jqwik.api.Tuple.of(3, Arbitraries.of(grants).flatMap(GrantsProperties::nearby)));
            return filter.map(f -> new Case(grants, f));
        });
    }

    /** A pattern made from {@code grant} by changing each segment at random: to a literal, *, or a trailing >. */
    private static Arbitrary<String> nearby(String grant) {
        List<String> segments = Arrays.asList(grant.split("\\."));
        List<Arbitrary<List<String>>> parts = new ArrayList<>();
        for (int i = 0; i < segments.size(); i++) {
            String s = segments.get(i);
            boolean last = i == segments.size() - 1;
            Arbitrary<List<String>> part = switch (s) {
                // A '>' becomes one or two segments, or stays.
                case ">" -> Arbitraries.oneOf(Arbitraries.just(List.of(">")), one("*"), one("a"),
                        Arbitraries.just(List.of("*", "*")), Arbitraries.just(List.of("b", ">")));
                case "*" -> Arbitraries.oneOf(one("*"), one("a"), one("d"), last ? one(">") : one("*"));
                default -> Arbitraries.oneOf(one(s), one(s), one("*"), one("d"), last ? one(">") : one(s));
            };
            parts.add(part);
        }
        return Combinators.combine(parts).as(lists -> {
            List<String> all = new ArrayList<>();
            lists.forEach(all::addAll);
            // Only the last segment may be '>'.
            for (int i = 0; i < all.size() - 1; i++) {
                if (all.get(i).equals(">")) {
                    all.set(i, "*");
                }
            }
            return String.join(".", all);
        });
    }

    private static Arbitrary<List<String>> one(String segment) {
        return Arbitraries.just(List.of(segment));
    }

    // ---- the model ----

    /** The obviously correct, slow meaning of a set of grants. */
    static final class Model {
        private Model() {
        }

        /** Whether every topic {@code filter} matches is matched by one of {@code grants}. */
        static boolean covers(List<String> grants, String filter) {
            Set<String> literals = new TreeSet<>();
            int longest = 0;
            for (String pattern : concat(grants, filter)) {
                String[] segments = pattern.split("\\.");
                longest = Math.max(longest, segments.length);
                for (String s : segments) {
                    if (!s.equals("*") && !s.equals(">")) {
                        literals.add(s);
                    }
                }
            }
            String fresh = "fresh";
            for (int i = 0; literals.contains(fresh); i++) {
                fresh = "fresh" + i;
            }
            literals.add(fresh);
            List<String> alphabet = List.copyOf(literals);
            for (int length = 1; length <= longest + 1; length++) {
                for (String topic : topics(alphabet, length)) {
                    if (Topics.matches(filter, topic) && grants.stream().noneMatch(g -> Topics.matches(g, topic))) {
                        return false;
                    }
                }
            }
            return true;
        }

        private static List<String> concat(List<String> grants, String filter) {
            return Stream.concat(grants.stream(), Stream.of(filter)).toList();
        }

        /** Every topic of {@code length} segments over {@code alphabet}. */
        private static List<String> topics(List<String> alphabet, int length) {
            List<String> topics = new ArrayList<>(alphabet);
            for (int i = 1; i < length; i++) {
                List<String> longer = new ArrayList<>(topics.size() * alphabet.size());
                for (String prefix : topics) {
                    for (String s : alphabet) {
                        longer.add(prefix + "." + s);
                    }
                }
                topics = longer;
            }
            return topics;
        }
    }
}
