package dev.herald.server;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Parses the value formats of the command line: durations like {@code 25s} and sizes like {@code 64KiB}. */
final class OptionValues {

    private OptionValues() {
    }

    /**
     * A duration: a number with a unit ({@code 500ms}, {@code 25s}, {@code 5m}, {@code 1h}, {@code 7d}), an
     * ISO-8601 duration ({@code PT25S}), or {@code 0}. A bare number other than 0 is refused: its unit would be
     * a guess.
     */
    static Duration parseDuration(String text) {
        String s = text.strip().toLowerCase(Locale.ROOT);
        if (s.equals("0")) {
            return Duration.ZERO;
        }
        if (s.startsWith("p")) {
            try {
                return requireNotNegative(Duration.parse(s.toUpperCase(Locale.ROOT)), text);
            } catch (DateTimeParseException e) {
                throw new TypeConversionException("'" + text + "' is not a duration");
            }
        }
        int unitStart = digitsEnd(s);
        if (unitStart == 0) {
            throw new TypeConversionException("'" + text + "' is not a duration; use a number and a unit: "
                    + "500ms, 25s, 5m, 1h, 7d");
        }
        long amount = parseAmount(s.substring(0, unitStart), text);
        String unit = s.substring(unitStart).strip();
        try {
            return switch (unit) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m", "min" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                case "d" -> Duration.ofDays(amount);
                case "" -> throw new TypeConversionException("'" + text + "' has no unit; use 500ms, 25s, 5m, 1h "
                        + "or 7d");
                default -> throw new TypeConversionException("'" + text + "' has an unknown unit '" + unit
                        + "'; use ms, s, m, h or d");
            };
        } catch (ArithmeticException e) {
            throw new TypeConversionException("'" + text + "' is too long a duration");
        }
    }

    /**
     * A size in bytes: a plain number of bytes, or a number with a binary unit ({@code 64KiB}, {@code 1MiB},
     * {@code 2GiB}; {@code k}, {@code kb}, {@code m}, {@code mb}, {@code g}, {@code gb} mean the same).
     */
    static long parseSize(String text) {
        String s = text.strip().toLowerCase(Locale.ROOT);
        int unitStart = digitsEnd(s);
        if (unitStart == 0) {
            throw new TypeConversionException("'" + text + "' is not a size; use bytes or a unit: 65536, 64KiB, "
                    + "1MiB");
        }
        long amount = parseAmount(s.substring(0, unitStart), text);
        String unit = s.substring(unitStart).strip();
        int shift = switch (unit) {
            case "", "b" -> 0;
            case "k", "kb", "kib" -> 10;
            case "m", "mb", "mib" -> 20;
            case "g", "gb", "gib" -> 30;
            default -> throw new TypeConversionException("'" + text + "' has an unknown unit '" + unit
                    + "'; use KiB, MiB or GiB");
        };
        if (amount > (Long.MAX_VALUE >> shift)) {
            throw new TypeConversionException("'" + text + "' is too large");
        }
        return amount << shift;
    }

    /** A size that must fit an {@code int}, for per-connection buffers and limits. */
    static int parseIntSize(String text) {
        long bytes = parseSize(text);
        if (bytes > Integer.MAX_VALUE) {
            throw new TypeConversionException("'" + text + "' is too large; at most 2047MiB");
        }
        return (int) bytes;
    }

    private static int digitsEnd(String s) {
        int i = 0;
        while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
            i++;
        }
        return i;
    }

    private static long parseAmount(String digits, String text) {
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + text + "' is too large");
        }
    }

    private static Duration requireNotNegative(Duration d, String text) {
        if (d.isNegative()) {
            throw new TypeConversionException("'" + text + "' is negative");
        }
        return d;
    }

    /** Picocli converter for durations. */
    static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return parseDuration(value);
        }
    }

    /** Picocli converter for sizes that fit an {@code int}. */
    static final class IntSizeConverter implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            return parseIntSize(value);
        }
    }

    /** Picocli converter for sizes. */
    static final class SizeConverter implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return parseSize(value);
        }
    }
}
