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
    private final LongAdder httpRequestsRateLimited = new LongAdder();
    private final LongAdder httpPublishesRateLimited = new LongAdder();
    private final LongAdder wsCommandsRateLimited = new LongAdder();
    private final LongAdder wsPublishesRateLimited = new LongAdder();
    private final LongAdder rateLimitCloses = new LongAdder();
    private final LongAdder requestTimeouts = new LongAdder();

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

    /** Counts an HTTP request refused with 429 for the connection's request rate. */
    public void httpRequestRateLimited() {
        httpRequestsRateLimited.increment();
    }

    /** Counts a {@code POST /publish} refused with 429 for the connection's publish rate. */
    public void httpPublishRateLimited() {
        httpPublishesRateLimited.increment();
    }

    /** Counts a WebSocket command (or ping) refused for the connection's request rate. */
    public void wsCommandRateLimited() {
        wsCommandsRateLimited.increment();
    }

    /** Counts a WebSocket publish refused for the connection's publish rate. */
    public void wsPublishRateLimited() {
        wsPublishesRateLimited.increment();
    }

    /** Counts a connection closed because it went on past its rate limits. */
    public void rateLimitClose() {
        rateLimitCloses.increment();
    }

    /** Counts a connection closed because a request did not arrive in full within the request timeout. */
    public void requestTimeout() {
        requestTimeouts.increment();
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

    /** @return HTTP requests refused for the request rate */
    public long httpRequestsRateLimited() {
        return httpRequestsRateLimited.sum();
    }

    /** @return HTTP publishes refused for the publish rate */
    public long httpPublishesRateLimited() {
        return httpPublishesRateLimited.sum();
    }

    /** @return WebSocket commands and pings refused for the request rate */
    public long wsCommandsRateLimited() {
        return wsCommandsRateLimited.sum();
    }

    /** @return WebSocket publishes refused for the publish rate */
    public long wsPublishesRateLimited() {
        return wsPublishesRateLimited.sum();
    }

    /** @return connections closed for going on past their rate limits */
    public long rateLimitCloses() {
        return rateLimitCloses.sum();
    }

    /** @return connections closed at the request deadline */
    public long requestTimeouts() {
        return requestTimeouts.sum();
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
        g.writeNumberProperty("httpRequestsRateLimited", httpRequestsRateLimited());
        g.writeNumberProperty("httpPublishesRateLimited", httpPublishesRateLimited());
        g.writeNumberProperty("wsCommandsRateLimited", wsCommandsRateLimited());
        g.writeNumberProperty("wsPublishesRateLimited", wsPublishesRateLimited());
        g.writeNumberProperty("rateLimitCloses", rateLimitCloses());
        g.writeNumberProperty("requestTimeouts", requestTimeouts());
    }
}
