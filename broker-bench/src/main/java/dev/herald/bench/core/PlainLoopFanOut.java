package dev.herald.bench.core;

/**
 * The floor: the publisher's thread calls each subscriber of the topic in a loop. No queue, no message object,
 * no history, no ordering or isolation between subscribers.
 */
final class PlainLoopFanOut implements FanOut {

    /** A subscriber callback, as small as {@code Consumer} but without generic arrays. */
    @FunctionalInterface
    interface Callback {
        void onMessage(Object payload);
    }

    private final Callback[][] callbacksByTopic;

    PlainLoopFanOut(Counter[][] countersByTopic) {
        callbacksByTopic = new Callback[countersByTopic.length][];
        for (int topic = 0; topic < countersByTopic.length; topic++) {
            Counter[] counters = countersByTopic[topic];
            Callback[] callbacks = new Callback[counters.length];
            for (int i = 0; i < counters.length; i++) {
                Counter counter = counters[i];
                callbacks[i] = payload -> counter.increment();
            }
            callbacksByTopic[topic] = callbacks;
        }
    }

    @Override
    public void publish(int topic, Object payload) {
        for (Callback callback : callbacksByTopic[topic]) {
            callback.onMessage(payload);
        }
    }

    @Override
    public void close() {
    }
}
