package dev.herald.core.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * A trie of topic filters (names and patterns) by segment, holding values under each filter.
 *
 * <p>Concurrency: lookups are lock-free and may run concurrently with changes; changes are serialized by the
 * index's monitor. A lookup sees every change that completed before it started. Cost of a lookup grows with the
 * number of segments of the topic and the wildcards along its path, not with the number of filters, and a lookup
 * allocates nothing: it compares the topic's segments in place.
 *
 * @param <V> value type
 */
final class PatternIndex<V> {
    private static final Object[] NONE = new Object[0];

    private final Node root = new Node(null, "");
    private volatile int size;

    /**
     * One segment position. {@code values} are the values of filters that end here. The wildcard children have
     * fields of their own; the literal children live in an open-addressing table that a lookup probes with a
     * region of the topic, so no substring is made. Fields and tables change under the index's monitor; a
     * table slot goes from empty to a child and from a child to {@link #REMOVED}, never back, until the table is
     * rebuilt into a new array, so a probe running concurrently always ends at an empty slot.
     */
    private static final class Node {
        private static final Node[] NO_CHILDREN = new Node[0];
        private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Node[].class);

        final Node parent;
        final String segment;
        final int hash;
        volatile Object[] values = NONE;
        volatile Node any;
        volatile Node rest;
        /** Literal children; at most half full, counting removed slots, so probes end. */
        volatile Node[] literals = NO_CHILDREN;
        /** Live literal children. Under the monitor. */
        int literalCount;
        /** Slots of {@code literals} in use, live or removed. Under the monitor. */
        int usedSlots;

        Node(Node parent, String segment) {
            this.parent = parent;
            this.segment = segment;
            this.hash = hash(segment, 0, segment.length());
        }

        /** The child for a filter segment, or {@code null}. */
        Node child(String filterSegment) {
            return switch (filterSegment) {
                case "*" -> any;
                case ">" -> rest;
                default -> literal(filterSegment, 0, filterSegment.length());
            };
        }

        /** The literal child for {@code topic.substring(start, end)}, or {@code null}. Lock-free. */
        Node literal(String topic, int start, int end) {
            Node[] table = literals;
            if (table.length == 0) {
                return null;
            }
            int h = hash(topic, start, end);
            int length = end - start;
            int mask = table.length - 1;
            for (int i = h & mask; ; i = (i + 1) & mask) {
                Node node = (Node) SLOT.getAcquire(table, i);
                if (node == null) {
                    return null;
                }
                if (node.hash == h && node.segment.length() == length && node != REMOVED
                        && topic.regionMatches(start, node.segment, 0, length)) {
                    return node;
                }
            }
        }

        /** Under the monitor: adds a child for a filter segment. */
        Node link(String childSegment) {
            Node child = new Node(this, childSegment);
            switch (childSegment) {
                case "*" -> any = child;
                case ">" -> rest = child;
                default -> {
                    if ((usedSlots + 1) * 2 > literals.length) {
                        rebuild(Math.max(4, Integer.highestOneBit(Math.max(1, literalCount + 1)) * 4));
                    }
                    insert(literals, child);
                    usedSlots++;
                    literalCount++;
                }
            }
            return child;
        }

        /** Under the monitor: removes a child. */
        void unlink(Node child) {
            switch (child.segment) {
                case "*" -> {
                    if (any == child) {
                        any = null;
                    }
                }
                case ">" -> {
                    if (rest == child) {
                        rest = null;
                    }
                }
                default -> {
                    Node[] table = literals;
                    int mask = table.length - 1;
                    for (int i = child.hash & mask; table.length > 0; i = (i + 1) & mask) {
                        Node node = table[i];
                        if (node == null) {
                            return;
                        }
                        if (node == child) {
                            SLOT.setRelease(table, i, REMOVED);
                            literalCount--;
                            break;
                        }
                    }
                    if (literalCount == 0) {
                        literals = NO_CHILDREN;
                        usedSlots = 0;
                    } else if (literalCount * 8 < table.length && table.length > 4) {
                        // Mostly removed slots: give the memory back.
                        rebuild(Math.max(4, Integer.highestOneBit(literalCount) * 4));
                    }
                }
            }
        }

        boolean hasChildren() {
            return any != null || rest != null || literalCount > 0;
        }

        /** Under the monitor: copies the live literal children into a new table and publishes it. */
        private void rebuild(int capacity) {
            Node[] table = new Node[capacity];
            for (Node node : literals) {
                if (node != null && node != REMOVED) {
                    insert(table, node);
                }
            }
            usedSlots = literalCount;
            literals = table;
        }

        private static void insert(Node[] table, Node node) {
            int mask = table.length - 1;
            int i = node.hash & mask;
            while (table[i] != null) {
                i = (i + 1) & mask;
            }
            SLOT.setRelease(table, i, node);
        }

        /** {@code String.hashCode} of the region, spread so that the low bits used for the slot vary. */
        static int hash(String s, int start, int end) {
            int h = 0;
            for (int i = start; i < end; i++) {
                h = 31 * h + s.charAt(i);
            }
            return h ^ (h >>> 16);
        }
    }

    /** Marks a slot whose child was removed; matches no segment (its hash is that of the empty string). */
    private static final Node REMOVED = new Node(null, "");

    /** Whether no values are held; a cheap check before a lookup. */
    boolean isEmpty() {
        return size == 0;
    }

    /** The number of values held. */
    int size() {
        return size;
    }

    /**
     * Adds a value under a valid filter.
     *
     * @return {@code true} if it is the filter's first value
     */
    synchronized boolean add(String filter, V value) {
        Node node = root;
        int start = 0;
        while (start <= filter.length()) {
            int end = filter.indexOf('.', start);
            if (end < 0) {
                end = filter.length();
            }
            String segment = filter.substring(start, end);
            Node child = node.child(segment);
            node = child != null ? child : node.link(segment);
            start = end + 1;
        }
        Object[] old = node.values;
        Object[] grown = Arrays.copyOf(old, old.length + 1);
        grown[old.length] = value;
        node.values = grown;
        size++;
        return old.length == 0;
    }

    /**
     * Removes a value (by identity) from under a filter.
     *
     * @return {@code true} if it was the filter's last value
     */
    synchronized boolean remove(String filter, V value) {
        Node node = find(filter);
        if (node == null) {
            return false;
        }
        Object[] old = node.values;
        int index = -1;
        for (int i = 0; i < old.length; i++) {
            if (old[i] == value) {
                index = i;
                break;
            }
        }
        if (index < 0) {
            return false;
        }
        Object[] shrunk = new Object[old.length - 1];
        System.arraycopy(old, 0, shrunk, 0, index);
        System.arraycopy(old, index + 1, shrunk, index, old.length - index - 1);
        node.values = shrunk.length == 0 ? NONE : shrunk;
        size--;
        // Prune nodes that lead nowhere, so memory follows live filters.
        while (node != root && node.values.length == 0 && !node.hasChildren()) {
            node.parent.unlink(node);
            node = node.parent;
        }
        return shrunk.length == 0;
    }

    /** Whether a value is held under exactly this valid filter. Lock-free, like the lookups. */
    boolean contains(String filter) {
        Node node = find(filter);
        return node != null && node.values.length > 0;
    }

    private Node find(String filter) {
        Node node = root;
        int start = 0;
        while (node != null && start <= filter.length()) {
            int end = filter.indexOf('.', start);
            if (end < 0) {
                end = filter.length();
            }
            node = node.child(filter.substring(start, end));
            start = end + 1;
        }
        return node;
    }

    /** Calls {@code action} with every value whose filter matches the valid topic name. */
    void forEachMatch(String topic, Consumer<? super V> action) {
        if (size != 0) {
            match(root, topic, 0, action);
        }
    }

    /** Whether any filter matches the valid topic name. */
    boolean anyMatch(String topic) {
        boolean[] found = new boolean[1];
        forEachMatch(topic, v -> found[0] = true);
        return found[0];
    }

    @SuppressWarnings("unchecked")
    private static <V> void match(Node node, String topic, int start, Consumer<? super V> action) {
        Node rest = node.rest;
        Node any = node.any;
        if (rest == null && any == null && node.literals.length == 0) {
            return;
        }
        int end = topic.indexOf('.', start);
        boolean last = end < 0;
        if (last) {
            end = topic.length();
        }
        if (rest != null) {
            for (Object v : rest.values) {
                action.accept((V) v);
            }
        }
        Node exact = node.literal(topic, start, end);
        if (exact != null) {
            step(exact, topic, end, last, action);
        }
        if (any != null) {
            step(any, topic, end, last, action);
        }
    }

    @SuppressWarnings("unchecked")
    private static <V> void step(Node child, String topic, int end, boolean last, Consumer<? super V> action) {
        if (last) {
            for (Object v : child.values) {
                action.accept((V) v);
            }
        } else {
            match(child, topic, end + 1, action);
        }
    }
}
