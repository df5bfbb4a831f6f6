package dev.herald.core;

import dev.herald.core.internal.DefaultBroker;
import dev.herald.core.internal.InMemoryEngine;
import dev.herald.core.policy.DeliveryPolicy;
import dev.herald.core.policy.HistoryPolicy;
import dev.herald.core.spi.Clock;
import dev.herald.core.spi.EngineContext;
import dev.herald.core.spi.EngineFactory;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.ToLongFunction;

/**
 * Builds a {@link Broker}. Not thread-safe; build once. Each setting may be made once; a bad value is reported
 * at the call that sets it.
 *
 * <p>Defaults: in-memory engine, {@link HistoryPolicy#none()}, {@link DeliveryPolicy#dropOldest(int)
 * dropOldest(1024)}, a broker-owned pool of daemon threads (one per processor) for queued delivery, the system
 * clock, at most 1,000,000 topics, and a payload weigher that counts {@code byte[]} and {@code CharSequence}
 * lengths (and 64 bytes for other objects).
 *
 * @param <T> payload type
 */
public final class BrokerBuilder<T> {
    private HistoryPolicy history;
    private DeliveryPolicy delivery;
    private Executor executor;
    private Clock clock;
    private ErrorListener errorListener;
    private ToLongFunction<? super T> payloadWeigher;
    private EngineFactory<T> engineFactory;
    private int maxTopics;
    private Duration closeGracePeriod;

    BrokerBuilder() {
    }

    /**
     * How much history each topic keeps.
     *
     * @param policy the policy
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public BrokerBuilder<T> history(HistoryPolicy policy) {
        requireUnset(history, "history");
        history = Objects.requireNonNull(policy, "policy");
        return this;
    }

    /**
     * The delivery policy of subscriptions that do not choose their own.
     *
     * @param policy the policy
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public BrokerBuilder<T> defaultDelivery(DeliveryPolicy policy) {
        requireUnset(delivery, "defaultDelivery");
        delivery = Objects.requireNonNull(policy, "policy");
        return this;
    }

    /**
     * Where queued subscriptions are drained. The broker never shuts down an executor it was given. Tests use
     * {@code Runnable::run} to make delivery synchronous and deterministic. Without one, the broker drains on a
     * fork-join pool of its own with one thread fewer than there are processors (at least one), as the JDK's
     * common pool does: the publishing threads need a processor too.
     *
     * @param executor the executor
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public BrokerBuilder<T> executor(Executor executor) {
        requireUnset(this.executor, "executor");
        this.executor = Objects.requireNonNull(executor, "executor");
        return this;
    }

    /**
     * The time source.
     *
     * @param clock the clock
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public BrokerBuilder<T> clock(Clock clock) {
        requireUnset(this.clock, "clock");
        this.clock = Objects.requireNonNull(clock, "clock");
        return this;
    }

    /**
     * Told of every exception thrown by a subscriber, after the broker has counted and logged it.
     *
     * @param listener the listener
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public BrokerBuilder<T> errorListener(ErrorListener listener) {
        requireUnset(errorListener, "errorListener");
        errorListener = Objects.requireNonNull(listener, "listener");
        return this;
    }

    /**
     * Measures a payload in bytes for {@link HistoryPolicy#maxBytes}. It is called before the message takes an
     * offset, and only while the history policy retains messages; if it throws, or returns a negative weight
     * ({@link IllegalStateException}), the publish throws that and publishes nothing (a batch: nothing of it).
     *
     * @param weigher returns a payload's weight, at least 0; must be fast and thread-safe
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public BrokerBuilder<T> payloadWeigher(ToLongFunction<? super T> weigher) {
        requireUnset(payloadWeigher, "payloadWeigher");
        payloadWeigher = Objects.requireNonNull(weigher, "weigher");
        return this;
    }

    /**
     * The most topics that may exist at once; publishing to or subscribing to a new topic past it is refused
     * with {@link RejectReason#TOO_MANY_TOPICS}.
     *
     * @param maxTopics the bound, at least 1
     * @return this builder
     * @throws IllegalArgumentException if less than 1
     * @throws IllegalStateException    if already set
     */
    public BrokerBuilder<T> maxTopics(int maxTopics) {
        requireUnset(this.maxTopics == 0 ? null : this.maxTopics, "maxTopics");
        if (maxTopics < 1) {
            throw new IllegalArgumentException("maxTopics must be >= 1, was " + maxTopics);
        }
        this.maxTopics = maxTopics;
        return this;
    }

    /**
     * How long {@link Broker#close()} waits for queued messages to reach their subscribers.
     *
     * @param grace the wait, zero or positive
     * @return this builder
     * @throws IllegalArgumentException if negative
     * @throws IllegalStateException    if already set
     */
    public BrokerBuilder<T> closeGracePeriod(Duration grace) {
        requireUnset(closeGracePeriod, "closeGracePeriod");
        Objects.requireNonNull(grace, "grace");
        if (grace.isNegative()) {
            throw new IllegalArgumentException("closeGracePeriod must not be negative, was " + grace);
        }
        closeGracePeriod = grace;
        return this;
    }

    /**
     * Replaces the in-memory engine, for example with one backed by a distributed store.
     *
     * @param factory creates the engine from the broker's settings
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public BrokerBuilder<T> engine(EngineFactory<T> factory) {
        requireUnset(engineFactory, "engine");
        engineFactory = Objects.requireNonNull(factory, "factory");
        return this;
    }

    /**
     * Builds and starts the broker.
     *
     * @return a new open broker
     */
    public Broker<T> build() {
        Clock c = clock != null ? clock : Clock.system();
        EngineContext<T> context = new EngineContext<>(c,
                history != null ? history : HistoryPolicy.none(),
                payloadWeigher != null ? payloadWeigher : BrokerBuilder::defaultWeight,
                maxTopics != 0 ? maxTopics : 1_000_000);
        EngineFactory<T> factory = engineFactory != null ? engineFactory : InMemoryEngine::new;
        return new DefaultBroker<>(factory.create(context), context,
                delivery != null ? delivery : DeliveryPolicy.dropOldest(1024),
                executor, errorListener,
                closeGracePeriod != null ? closeGracePeriod : Duration.ofSeconds(5));
    }

    private static long defaultWeight(Object payload) {
        if (payload instanceof byte[] bytes) {
            return bytes.length;
        }
        if (payload instanceof CharSequence chars) {
            return chars.length();
        }
        return 64;
    }

    private static void requireUnset(Object current, String name) {
        if (current != null) {
            throw new IllegalStateException(name + " was already set to " + current);
        }
    }
}
