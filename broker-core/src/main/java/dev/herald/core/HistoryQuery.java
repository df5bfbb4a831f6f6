package dev.herald.core;

/**
 * Which retained messages of one topic to read. Results are always oldest first.
 *
 * @param afterOffset return only messages with an offset greater than this; 0 for "from the oldest retained"
 * @param limit       return at most this many messages
 * @param latest      if {@code true}, return the newest {@code limit} messages that match; otherwise the oldest
 */
public record HistoryQuery(long afterOffset, int limit, boolean latest) {

    /**
     * Validates the components.
     *
     * @param afterOffset lower bound, exclusive, at least 0
     * @param limit       at least 0
     * @param latest      newest or oldest first selection
     */
    public HistoryQuery {
        if (afterOffset < 0) {
            throw new IllegalArgumentException("afterOffset must be >= 0, was " + afterOffset);
        }
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be >= 0, was " + limit);
        }
    }

    /**
     * Every retained message.
     *
     * @return the query
     */
    public static HistoryQuery all() {
        return new HistoryQuery(0, Integer.MAX_VALUE, false);
    }

    /**
     * The newest {@code n} retained messages.
     *
     * @param n how many, at least 0
     * @return the query
     */
    public static HistoryQuery latest(int n) {
        return new HistoryQuery(0, n, true);
    }

    /**
     * Up to {@code limit} retained messages with an offset greater than {@code offset}, oldest first: a page.
     *
     * @param offset exclusive lower bound, at least 0
     * @param limit  page size, at least 0
     * @return the query
     */
    public static HistoryQuery after(long offset, int limit) {
        return new HistoryQuery(offset, limit, false);
    }
}
