package dev.herald.core.internal;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * A trie of topic filters (names and patterns) by segment, holding values under each filter.
 *
 * <p>Concurrency: lookups are lock-free and may run concurrently with changes; changes are serialized by the
 * index's monitor. A lookup sees every change that completed before it started. Cost of a lookup grows with the
 * number of segments of the topic and the wildcards along its path, not with the number of filters.
 *
 * @param <V> value type
 */
final class PatternIndex<V> {
    private static final Object[] NONE = new Object[0];

    private final Node root = new Node(null, null);
    private volatile int size;

    /** One segment position. {@code values} are the values of filters that end here. */
    private static final class Node {
        final Node parent;
        final String segment;
        final ConcurrentHashMap<String, Node> children = new ConcurrentHashMap<>(4);
        volatile Object[] values = NONE;

        Node(Node parent, String segment) {
            this.parent = parent;
            this.segment = segment;
        }
    }

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
            Node parent = node;
            node = parent.children.computeIfAbsent(segment, s -> new Node(parent, s));
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
        while (node != root && node.values.length == 0 && node.children.isEmpty()) {
            node.parent.children.remove(node.segment, node);
            node = node.parent;
        }
        return shrunk.length == 0;
    }

    private Node find(String filter) {
        Node node = root;
        int start = 0;
        while (node != null && start <= filter.length()) {
            int end = filter.indexOf('.', start);
            if (end < 0) {
                end = filter.length();
            }
            node = node.children.get(filter.substring(start, end));
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
        if (size == 0) {
            return false;
        }
        boolean[] found = new boolean[1];
        forEachMatch(topic, v -> found[0] = true);
        return found[0];
    }

    @SuppressWarnings("unchecked")
    private static <V> void match(Node node, String topic, int start, Consumer<? super V> action) {
        ConcurrentHashMap<String, Node> children = node.children;
        if (children.isEmpty()) {
            return;
        }
        int end = topic.indexOf('.', start);
        boolean last = end < 0;
        if (last) {
            end = topic.length();
        }
        Node rest = children.get(">");
        if (rest != null) {
            for (Object v : rest.values) {
                action.accept((V) v);
            }
        }
        Node exact = children.get(topic.substring(start, end));
        if (exact != null) {
            step(exact, topic, end, last, action);
        }
        Node any = children.get("*");
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
