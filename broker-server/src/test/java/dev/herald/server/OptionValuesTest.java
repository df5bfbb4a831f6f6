package dev.herald.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

class OptionValuesTest {

    @Test
    void durationsTakeAUnitOrIsoOrZero() {
        assertEquals(Duration.ofMillis(500), OptionValues.parseDuration("500ms"));
        assertEquals(Duration.ofSeconds(25), OptionValues.parseDuration("25s"));
        assertEquals(Duration.ofSeconds(25), OptionValues.parseDuration(" 25S "));
        assertEquals(Duration.ofMinutes(5), OptionValues.parseDuration("5m"));
        assertEquals(Duration.ofMinutes(5), OptionValues.parseDuration("5min"));
        assertEquals(Duration.ofHours(1), OptionValues.parseDuration("1h"));
        assertEquals(Duration.ofDays(7), OptionValues.parseDuration("7d"));
        assertEquals(Duration.ofSeconds(90), OptionValues.parseDuration("PT1M30S"));
        assertEquals(Duration.ZERO, OptionValues.parseDuration("0"));
    }

    @Test
    void badDurationsSayWhatIsWrong() {
        assertTrue(refusedDuration("60").contains("no unit"));
        assertTrue(refusedDuration("5 fortnights").contains("unknown unit"));
        assertTrue(refusedDuration("soon").contains("not a duration"));
        assertTrue(refusedDuration("-5s").contains("not a duration"));
        assertTrue(refusedDuration("PT-5S").contains("negative"));
        assertTrue(refusedDuration("P1X").contains("not a duration"));
        assertTrue(refusedDuration("99999999999999999999s").contains("too large"));
        assertTrue(refusedDuration("9999999999999999d").contains("too long"));
    }

    @Test
    void sizesAreBytesOrBinaryUnits() {
        assertEquals(65536, OptionValues.parseSize("65536"));
        assertEquals(65536, OptionValues.parseSize("64KiB"));
        assertEquals(65536, OptionValues.parseSize("64k"));
        assertEquals(65536, OptionValues.parseSize("64 KB"));
        assertEquals(1 << 20, OptionValues.parseSize("1MiB"));
        assertEquals(1L << 30, OptionValues.parseSize("1g"));
        assertEquals(0, OptionValues.parseSize("0"));
        assertEquals(12, OptionValues.parseSize("12b"));
    }

    @Test
    void badSizesSayWhatIsWrong() {
        assertTrue(refusedSize("lots").contains("not a size"));
        assertTrue(refusedSize("-1").contains("not a size"));
        assertTrue(refusedSize("64XB").contains("unknown unit"));
        assertTrue(refusedSize("9999999999GiB").contains("too large"));
        String tooBigForInt = assertThrows(TypeConversionException.class,
                () -> OptionValues.parseIntSize("2GiB")).getMessage();
        assertTrue(tooBigForInt.contains("too large"), tooBigForInt);
        assertEquals(Integer.MAX_VALUE, OptionValues.parseIntSize(String.valueOf(Integer.MAX_VALUE)));
    }

    private static String refusedDuration(String text) {
        return assertThrows(TypeConversionException.class, () -> OptionValues.parseDuration(text), text)
                .getMessage();
    }

    private static String refusedSize(String text) {
        return assertThrows(TypeConversionException.class, () -> OptionValues.parseSize(text), text).getMessage();
    }
}
