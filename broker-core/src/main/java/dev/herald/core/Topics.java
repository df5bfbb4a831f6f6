package dev.herald.core;

/**
 * The rules for topic names and topic patterns, and matching between them.
 *
 * <p>A <b>topic name</b> is 1 to {@value #MAX_LENGTH} characters long and made of 1 to {@value #MAX_SEGMENTS}
 * segments separated by {@code .}; each segment is non-empty and uses only ASCII letters, digits and
 * {@code _ - : @ ~}. Examples: {@code notifications}, {@code orders.eu.created}, {@code user:42.inbox}.
 *
 * <p>A <b>pattern</b> has the same shape, but a whole segment may be a wildcard: {@code *} matches exactly one
 * segment, and {@code >}, allowed only as the last segment, matches one or more trailing segments. So
 * {@code orders.*.created} matches {@code orders.eu.created}, and {@code orders.>} matches {@code orders.eu} and
 * {@code orders.eu.created} but not {@code orders}. A filter is either a topic name or a pattern.
 *
 * <p>All methods are static, pure and thread-safe.
 */
public final class Topics {
    /** The longest topic name or pattern, in characters. */
    public static final int MAX_LENGTH = 255;
    /** The most segments a topic name or pattern may have. */
    public static final int MAX_SEGMENTS = 32;

    private Topics() {
    }

    /**
     * Whether {@code name} is a valid topic name (no wildcards).
     *
     * @param name the candidate, may be {@code null}
     * @return {@code true} if it follows the rules
     */
    public static boolean isValidName(String name) {
        // The common case in one tight pass (a publish checks every name); problem() says what is wrong.
        if (name == null || name.isEmpty() || name.length() > MAX_LENGTH) {
            return false;
        }
        int length = name.length();
        int segments = 1;
        boolean segmentEmpty = true;
        for (int i = 0; i < length; i++) {
            char c = name.charAt(i);
            if (c == '.') {
                if (segmentEmpty || ++segments > MAX_SEGMENTS) {
                    return false;
                }
                segmentEmpty = true;
            } else if (c < NAME_CHARS.length && NAME_CHARS[c]) {
                segmentEmpty = false;
            } else {
                return false;
            }
        }
        return !segmentEmpty;
    }

    /**
     * Whether {@code filter} is a valid topic name or pattern.
     *
     * @param filter the candidate, may be {@code null}
     * @return {@code true} if it follows the rules
     */
    public static boolean isValidFilter(String filter) {
        return problem(filter, true) == null;
    }

    /**
     * Checks a topic name.
     *
     * @param name the candidate
     * @return {@code name}
     * @throws HeraldException with {@link RejectReason#INVALID_TOPIC} and a message saying which rule is broken
     */
    public static String requireName(String name) {
        String problem = problem(name, false);
        if (problem != null) {
            throw new HeraldException(RejectReason.INVALID_TOPIC, problem);
        }
        return name;
    }

    /**
     * Checks a filter (a topic name or a pattern).
     *
     * @param filter the candidate
     * @return {@code filter}
     * @throws HeraldException with {@link RejectReason#INVALID_TOPIC} and a message saying which rule is broken
     */
    public static String requireFilter(String filter) {
        String problem = problem(filter, true);
        if (problem != null) {
            throw new HeraldException(RejectReason.INVALID_TOPIC, problem);
        }
        return filter;
    }

    /**
     * Whether a valid filter contains a wildcard segment.
     *
     * @param filter a valid filter
     * @return {@code true} for a pattern, {@code false} for a plain topic name
     */
    public static boolean isPattern(String filter) {
        int length = filter.length();
        for (int i = 0; i < length; i++) {
            char c = filter.charAt(i);
            if (c == '*' || c == '>') {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a valid filter matches a valid topic name.
     *
     * @param filter a valid topic name or pattern
     * @param topic  a valid topic name
     * @return {@code true} if a subscription to {@code filter} receives messages published to {@code topic}
     */
    public static boolean matches(String filter, String topic) {
        int f = 0;
        int t = 0;
        int fLength = filter.length();
        int tLength = topic.length();
        while (f < fLength && t < tLength) {
            int fEnd = segmentEnd(filter, f);
            int tEnd = segmentEnd(topic, t);
            int fSegment = fEnd - f;
            if (fSegment == 1 && filter.charAt(f) == '>') {
                return true;
            }
            boolean same = fSegment == 1 && filter.charAt(f) == '*'
                    || fSegment == tEnd - t && filter.regionMatches(f, topic, t, fSegment);
            if (!same) {
                return false;
            }
            f = fEnd + 1;
            t = tEnd + 1;
        }
        return f >= fLength && t >= tLength;
    }

    private static int segmentEnd(String s, int from) {
        int dot = s.indexOf('.', from);
        return dot < 0 ? s.length() : dot;
    }

    /** Returns a description of the first broken rule, or {@code null} if the string is valid. */
    private static String problem(String s, boolean wildcardsAllowed) {
        if (s == null) {
            return "topic must not be null";
        }
        if (s.isEmpty()) {
            return "topic must not be empty";
        }
        if (s.length() > MAX_LENGTH) {
            return "topic is " + s.length() + " characters long; at most " + MAX_LENGTH + " are allowed";
        }
        int segments = 1;
        int segmentStart = 0;
        int length = s.length();
        for (int i = 0; i < length; i++) {
            char c = s.charAt(i);
            if (c == '.') {
                if (i == segmentStart) {
                    return "topic '" + s + "' has an empty segment";
                }
                if (++segments > MAX_SEGMENTS) {
                    return "topic '" + s + "' has more than " + MAX_SEGMENTS + " segments";
                }
                segmentStart = i + 1;
            } else if (c == '*' || c == '>') {
                if (!wildcardsAllowed) {
                    return "topic '" + s + "' contains wildcard '" + c + "'; wildcards are allowed only when subscribing";
                }
                boolean wholeSegment = i == segmentStart && (i + 1 == length || s.charAt(i + 1) == '.');
                if (!wholeSegment) {
                    return "topic '" + s + "': a wildcard must be a whole segment";
                }
                if (c == '>' && i + 1 != length) {
                    return "topic '" + s + "': '>' is allowed only as the last segment";
                }
            } else if (!isNameChar(c)) {
                return "topic '" + s + "' contains '" + c + "'; allowed are letters, digits, '.', '_', '-', ':', '@', '~'";
            }
        }
        if (segmentStart == length) {
            return "topic '" + s + "' has an empty segment";
        }
        return null;
    }

    private static boolean isNameChar(char c) {
        return c < NAME_CHARS.length && NAME_CHARS[c];
    }

    /** Characters allowed in a segment, by code. */
    private static final boolean[] NAME_CHARS = new boolean[128];

    static {
        for (char c = 0; c < NAME_CHARS.length; c++) {
            NAME_CHARS[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || c == '_' || c == '-' || c == ':' || c == '@' || c == '~';
        }
    }
}
