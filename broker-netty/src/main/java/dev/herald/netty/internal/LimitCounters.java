package dev.herald.netty.internal;

import java.util.concurrent.atomic.LongAdder;
import tools.jackson.core.JsonGenerator;

/**
 * How often each abuse limit was hit: rate limits, per-address connection limits, request deadlines. Part of
 * {@link ServerMetrics}, shown in the {@code server} part of {@code GET /metrics}. Thread-safe; counters only grow.
 */
public final class LimitCounters {
    private final LongAdder connectionsRateLimited = new LongAdder();
    private final LongAdder connectionsOverAddressLimit = new LongAdder();
    private final LongAdder addressesUntracked = new LongAdder();

    /** Counts a new connection refused because its address opened connections too fast. */
    public void connectionRateLimited() {
        connectionsRateLimited.increment();
    }

    /** Counts a new connection refused because its address already had its most connections open. */
    public void connectionOverAddressLimit() {
        connectionsOverAddressLimit.increment();
    }

    /** Counts a connection admitted without per-address limits because the table of addresses was full. */
    public void addressUntracked() {
        addressesUntracked.increment();
    }

    /** @return new connections refused for their address's connection rate */
    public long connectionsRateLimited() {
        return connectionsRateLimited.sum();
    }

    /** @return new connections refused for their address's connection count */
    public long connectionsOverAddressLimit() {
        return connectionsOverAddressLimit.sum();
    }

    /** @return connections admitted untracked because the address table was full */
    public long addressesUntracked() {
        return addressesUntracked.sum();
    }

    /**
     * Writes the counters as fields of the JSON object being written.
     *
     * @param g                the generator, inside an object
     * @param addressesTracked client addresses tracked now
     */
    public void writeFields(JsonGenerator g, long addressesTracked) {
        g.writeNumberProperty("connectionsRateLimited", connectionsRateLimited());
        g.writeNumberProperty("connectionsOverAddressLimit", connectionsOverAddressLimit());
        g.writeNumberProperty("addressesTracked", addressesTracked);
        g.writeNumberProperty("addressesUntracked", addressesUntracked());
    }
}
