package dev.herald.core.spi;

import java.util.Map;
import java.util.Objects;

/**
 * What an engine tells operators about itself at one moment: whether its store is reachable, and its counters.
 * A server answers its health check from {@link #available()} and adds the counters to its metrics.
 *
 * @param available whether the engine can publish and read now
 * @param detail    a human description of the state, such as why the store is unreachable
 * @param counters  the engine's counters and gauges by name, in a stable order; immutable
 * @since 0.2
 */
public record EngineStatus(boolean available, String detail, Map<String, Long> counters) {

    /**
     * Validates the components and copies the counters.
     *
     * @param available whether the engine is usable
     * @param detail    description
     * @param counters  counters by name
     */
    public EngineStatus {
        Objects.requireNonNull(detail, "detail");
        counters = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(counters));
    }
}
