package dev.herald.core.internal;

import dev.herald.core.Message;

/**
 * A growable FIFO ring of messages. Starts small and doubles, so an idle subscription with a large bound costs
 * little memory. Not thread-safe: its owner guards it.
 *
 * @param <T> payload type
 */
final class MessageRing<T> {
    private static final int INITIAL_CAPACITY = 16;

    private Message<T>[] elements;
    private int head;
    private int size;

    int size() {
        return size;
    }

    void add(Message<T> message) {
        if (elements == null || size == elements.length) {
            grow();
        }
        elements[(head + size) & (elements.length - 1)] = message;
        size++;
    }

    Message<T> peek() {
        return size == 0 ? null : elements[head];
    }

    Message<T> poll() {
        if (size == 0) {
            return null;
        }
        Message<T> message = elements[head];
        elements[head] = null;
        head = (head + 1) & (elements.length - 1);
        size--;
        return message;
    }

    Message<T> pollLast() {
        if (size == 0) {
            return null;
        }
        int tail = (head + size - 1) & (elements.length - 1);
        Message<T> message = elements[tail];
        elements[tail] = null;
        size--;
        return message;
    }

    void clear() {
        elements = null;
        head = 0;
        size = 0;
    }

    @SuppressWarnings("unchecked")
    private void grow() {
        int capacity = elements == null ? INITIAL_CAPACITY : elements.length * 2;
        Message<T>[] grown = (Message<T>[]) new Message<?>[capacity];
        for (int i = 0; i < size; i++) {
            grown[i] = elements[(head + i) & (elements.length - 1)];
        }
        elements = grown;
        head = 0;
    }
}
