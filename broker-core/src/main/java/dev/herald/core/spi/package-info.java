/**
 * The boundary behind which a broker keeps its state: sequencing, history and node-level interest
 * ({@link dev.herald.core.spi.Engine}), and the time source ({@link dev.herald.core.spi.Clock}).
 *
 * <p>The in-memory engine is the default. Another engine, such as one that keeps offsets and history in a
 * distributed store shared by several nodes, plugs in through {@link dev.herald.core.BrokerBuilder#engine}
 * without any change to the public API.
 */
package dev.herald.core.spi;
