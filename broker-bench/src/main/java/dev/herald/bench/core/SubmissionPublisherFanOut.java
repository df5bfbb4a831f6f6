package dev.herald.bench.core;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.SubmissionPublisher;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The JDK's built-in alternative: one {@link SubmissionPublisher} per topic, all on one single-thread executor,
 * each subscriber requesting everything. {@code submit} blocks while a subscriber's buffer is full, so nothing
 * is dropped.
 */
final class SubmissionPublisherFanOut implements FanOut {
    private final ExecutorService executor;
    private final SubmissionPublisher<Object>[] publishers;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    @SuppressWarnings("unchecked")
    SubmissionPublisherFanOut(Counter[][] countersByTopic, int bufferCapacity) {
        executor = Executors.newSingleThreadExecutor(r -> {
            Thread thread = new Thread(r, "submission-publisher");
            thread.setDaemon(true);
            return thread;
        });
        publishers = (SubmissionPublisher<Object>[]) new SubmissionPublisher<?>[countersByTopic.length];
        int subscribers = 0;
        for (Counter[] counters : countersByTopic) {
            subscribers += counters.length;
        }
        CountDownLatch subscribed = new CountDownLatch(subscribers);
        for (int topic = 0; topic < countersByTopic.length; topic++) {
            publishers[topic] = new SubmissionPublisher<>(executor, bufferCapacity);
            for (Counter counter : countersByTopic[topic]) {
                publishers[topic].subscribe(new CountingSubscriber(counter, subscribed, failure));
            }
        }
        try {
            if (!subscribed.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("subscribers were not subscribed within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void publish(int topic, Object payload) {
        publishers[topic].submit(payload);
    }

    @Override
    public void close() {
        for (SubmissionPublisher<Object> publisher : publishers) {
            publisher.close();
        }
        executor.shutdown();
        try {
            if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("a subscriber failed", failure.get());
        }
    }

    private static final class CountingSubscriber implements Flow.Subscriber<Object> {
        private final Counter counter;
        private final CountDownLatch subscribed;
        private final AtomicReference<Throwable> failure;

        CountingSubscriber(Counter counter, CountDownLatch subscribed, AtomicReference<Throwable> failure) {
            this.counter = counter;
            this.subscribed = subscribed;
            this.failure = failure;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
            subscribed.countDown();
        }

        @Override
        public void onNext(Object item) {
            counter.increment();
        }

        @Override
        public void onError(Throwable throwable) {
            failure.compareAndSet(null, throwable);
        }

        @Override
        public void onComplete() {
        }
    }
}
