package dev.herald.core.spi;

import dev.herald.core.policy.HistoryPolicy;
import java.util.Objects;
import java.util.function.ToLongFunction;

/**
 * What a broker hands the engine it creates: the settings the engine must honour.
 *
 * @param clock         the time source for timestamps and ages
 * @param history       how much history each topic keeps
 * @param payloadWeigher the weight of a payload in bytes, for {@link HistoryPolicy#maxBytes}
 * @param maxTopics     the most topics that may exist at once
 * @param <T>           payload type
 * @since 0.1
 */
public record EngineContext<T>(Clock clock, HistoryPolicy history, ToLongFunction<? super T> payloadWeigher,
                               int maxTopics) {

    /**
     * Validates the components.
     *
     * @param clock          time source
     * @param history        history policy
     * @param payloadWeigher payload weigher
     * @param maxTopics      topic limit, at least 1
     */
    public EngineContext {
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(history, "history");
        Objects.requireNonNull(payloadWeigher, "payloadWeigher");
        if (maxTopics < 1) {
            throw new IllegalArgumentException("maxTopics must be >= 1, was " + maxTopics);
        }
    }
}
