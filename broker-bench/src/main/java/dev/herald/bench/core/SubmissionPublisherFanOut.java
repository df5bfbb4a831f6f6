package dev.herald.bench.core;

import java.util.ArrayList;
import java.util.List;
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
    private final List<CountingSubscriber> subscribers = new ArrayList<>();
    private long wakeUps;

    @SuppressWarnings("unchecked")
    SubmissionPublisherFanOut(Counter[][] countersByTopic, int bufferCapacity) {
        executor = Executors.newSingleThreadExecutor(r -> {
            Thread thread = new Thread(r, "submission-publisher");
            thread.setDaemon(true);
            return thread;
        });
        publishers = (SubmissionPublisher<Object>[]) new SubmissionPublisher<?>[countersByTopic.length];
        int count = 0;
        for (Counter[] counters : countersByTopic) {
            count += counters.length;
        }
        CountDownLatch subscribed = new CountDownLatch(count);
        for (int topic = 0; topic < countersByTopic.length; topic++) {
            publishers[topic] = new SubmissionPublisher<>(executor, bufferCapacity);
            for (Counter counter : countersByTopic[topic]) {
                CountingSubscriber subscriber = new CountingSubscriber(counter, subscribed, failure);
                subscribers.add(subscriber);
                publishers[topic].subscribe(subscriber);
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

    /**
     * Requests one more item on every subscription, which restarts a consumer task that stopped while an item
     * was still in its buffer. The JDK 17 {@code SubmissionPublisher} does that now and then: in a standalone
     * reproduction (one subscriber, batches of 1000 items, waiting for each batch) one item in some 40 million
     * stayed undelivered, {@code estimateMaximumLag() == 1}, until the next {@code submit}. Demand is unbounded
     * anyway, so the extra request changes nothing else.
     */
    @Override
    public void wakeUp() {
        wakeUps++;
        for (CountingSubscriber subscriber : subscribers) {
            subscriber.subscription.request(1);
        }
    }

    @Override
    public void close() {
        if (wakeUps > 0) {
            System.out.println("SubmissionPublisher: waited over 1 ms for a batch and requested again "
                    + wakeUps + " times");
        }
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
        private volatile Flow.Subscription subscription;

        CountingSubscriber(Counter counter, CountDownLatch subscribed, AtomicReference<Throwable> failure) {
            this.counter = counter;
            this.subscribed = subscribed;
            this.failure = failure;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
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
