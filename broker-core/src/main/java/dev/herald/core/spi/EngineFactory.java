package dev.herald.core.spi;

/**
 * Creates the engine of a broker being built.
 *
 * @param <T> payload type
 * @since 0.1
 */
@FunctionalInterface
public interface EngineFactory<T> {

    /**
     * Creates an engine.
     *
     * @param context the broker's settings
     * @return a new engine, not yet started
     */
    Engine<T> create(EngineContext<T> context);
}
