package dev.herald.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** {@link Topics#isValidName} takes a fast path of its own; it must agree with the rules that explain a refusal. */
class TopicsProperties {

    @Property(tries = 3000)
    void theFastNameCheckAgreesWithTheExplainedRules(@ForAll("candidates") String candidate) {
        boolean explainedValid;
        try {
            Topics.requireName(candidate);
            explainedValid = true;
        } catch (HeraldException e) {
            explainedValid = false;
        }
        assertEquals(explainedValid, Topics.isValidName(candidate), "'" + candidate + "'");
    }

    @Provide
    Arbitrary<String> candidates() {
        // Mostly near-valid names: allowed characters, dots in any place, now and then a wildcard, a space, a
        // non-ASCII letter or a control character; lengths around the limits of length and segment count.
        Arbitrary<Character> chars = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(40, Arbitraries.chars().alpha().numeric().with('_', '-', ':', '@', '~')),
                net.jqwik.api.Tuple.of(12, Arbitraries.just('.')),
                net.jqwik.api.Tuple.of(1, Arbitraries.of('*', '>', ' ', 'é', '\u0000', '\u007f', '/', '#')));
        Arbitrary<String> shortOnes = chars.list().ofMaxSize(80).map(TopicsProperties::join);
        Arbitrary<String> longOnes = chars.list().ofMinSize(240).ofMaxSize(270).map(TopicsProperties::join);
        Arbitrary<String> manySegments = Arbitraries.integers().between(30, 34)
                .map(n -> "s" + ".s".repeat(n - 1));
        // Valid shapes of 250 to 260 characters (16-character segments), across the length limit.
        Arbitrary<String> aroundTheLength = Arbitraries.integers().between(250, 260)
                .map(n -> ("abcdefghijklmno.".repeat(17)).substring(0, n).replaceAll("\\.$", "x"));
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(8, shortOnes),
                net.jqwik.api.Tuple.of(1, longOnes),
                net.jqwik.api.Tuple.of(1, manySegments),
                net.jqwik.api.Tuple.of(1, aroundTheLength),
                net.jqwik.api.Tuple.of(1, Arbitraries.of("", ".", "a.", ".a", "a..b")));
    }

    private static String join(java.util.List<Character> chars) {
        StringBuilder builder = new StringBuilder(chars.size());
        chars.forEach(builder::append);
        return builder.toString();
    }
}
