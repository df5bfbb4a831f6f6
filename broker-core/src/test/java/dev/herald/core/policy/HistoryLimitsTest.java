package dev.herald.core.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The bounds built-in history policies report to engines that apply them outside this JVM. */
class HistoryLimitsTest {

    @Test
    void eachBuiltInReportsItsOwnBound() {
        assertEquals(Optional.of(new HistoryLimits(0, Duration.ZERO, 0, true)), HistoryPolicy.none().limits());
        assertEquals(Optional.of(new HistoryLimits(7, Duration.ZERO, 0, false)), HistoryPolicy.lastN(7).limits());
        assertEquals(Optional.of(new HistoryLimits(0, Duration.ofSeconds(3), 0, false)),
                HistoryPolicy.maxAge(Duration.ofSeconds(3)).limits());
        assertEquals(Optional.of(new HistoryLimits(0, Duration.ZERO, 99, false)),
                HistoryPolicy.maxBytes(99).limits());
    }

    @Test
    void combinedBuiltInsReportTheTighterOfEachBound() {
        HistoryPolicy policy = HistoryPolicy.lastN(100).and(HistoryPolicy.maxAge(Duration.ofMinutes(5)))
                .and(HistoryPolicy.maxBytes(1000)).and(HistoryPolicy.lastN(10))
                .and(HistoryPolicy.maxAge(Duration.ofMinutes(1)));
        assertEquals(Optional.of(new HistoryLimits(10, Duration.ofMinutes(1), 1000, false)), policy.limits());
        assertTrue(policy.limits().orElseThrow().boundsAge());
        assertEquals(Optional.of(new HistoryLimits(0, Duration.ZERO, 0, true)),
                HistoryPolicy.lastN(5).and(HistoryPolicy.none()).limits(), "none keeps nothing, whatever else");
    }

    @Test
    void aCustomPolicyHasNoBoundsAnEngineCouldApplyElsewhere() {
        HistoryPolicy custom = (count, bytes, age) -> count > 3;
        assertEquals(Optional.empty(), custom.limits());
        assertEquals(Optional.empty(), HistoryPolicy.lastN(5).and(custom).limits());
    }

    @Test
    void negativeBoundsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new HistoryLimits(-1, Duration.ZERO, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new HistoryLimits(0, Duration.ofSeconds(-1), 0, false));
        assertThrows(IllegalArgumentException.class, () -> new HistoryLimits(0, Duration.ZERO, -1, false));
    }
}
