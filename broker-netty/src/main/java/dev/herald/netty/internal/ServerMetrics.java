package dev.herald.netty.internal;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The server's own counters, shown by {@code GET /metrics} next to the broker's. Thread-safe: every method may be
 * called from any event loop or a monitoring thread. Counters only grow; gauges ({@code ...Open}) are current
 * values.
 */
public final class ServerMetrics {
    private final AtomicLong connectionsOpen = new AtomicLong();
    private final LongAdder connectionsAccepted = new LongAdder();
    private final LongAdder connectionsRejected = new LongAdder();
    private final AtomicLong websocketSessionsOpen = new AtomicLong();
    private final LongAdder websocketSessionsTotal = new LongAdder();
    private final LongAdder http2xx = new LongAdder();
    private final LongAdder http3xx = new LongAdder();
    private final LongAdder http4xx = new LongAdder();
    private final LongAdder http5xx = new LongAdder();
    private final LongAdder originsRejected = new LongAdder();
    private final LongAdder wsFramesIn = new LongAdder();
    private final LongAdder wsFramesOut = new LongAdder();
    private final LongAdder slowConsumersDisconnected = new LongAdder();
    private final LongAdder gapsSent = new LongAdder();
    private final LongAdder errorsSent = new LongAdder();
    private final LongAdder authenticationsRefused = new LongAdder();
    private final LongAdder actionsForbidden = new LongAdder();
    private final LongAdder tokensExpired = new LongAdder();
    private final LongAdder tlsHandshakeFailures = new LongAdder();
    private final LimitCounters limits = new LimitCounters();

    /**
     * Counts a connection opening if that keeps the open count within {@code max}.
     *
     * @param max the most connections allowed open
     * @return {@code true} if counted; {@code false} if the connection is one too many (nothing was counted
     *         as open, the rejection was counted)
     */
    public boolean tryOpenConnection(int max) {
        while (true) {
            long open = connectionsOpen.get();
            if (open >= max) {
                connectionsRejected.increment();
                return false;
            }
            if (connectionsOpen.compareAndSet(open, open + 1)) {
                connectionsAccepted.increment();
                return true;
            }
        }
    }

    /** Counts the close of a connection that {@link #tryOpenConnection} counted as open. */
    public void connectionClosed() {
        connectionsOpen.decrementAndGet();
    }

    /** Counts a completed WebSocket handshake. */
    public void websocketSessionOpened() {
        websocketSessionsOpen.incrementAndGet();
        websocketSessionsTotal.increment();
    }

    /** Counts the end of a WebSocket session counted by {@link #websocketSessionOpened()}. */
    public void websocketSessionClosed() {
        websocketSessionsOpen.decrementAndGet();
    }

    /**
     * Counts an HTTP response by status class.
     *
     * @param status the status code
     */
    public void httpResponse(int status) {
        switch (status / 100) {
            case 2 -> http2xx.increment();
            case 3 -> http3xx.increment();
            case 4 -> http4xx.increment();
            case 5 -> http5xx.increment();
            default -> {
                // 1xx interim responses are not counted
            }
        }
    }

    /** Counts a request refused because its Origin is not allowed. */
    public void originRejected() {
        originsRejected.increment();
    }

    /**
     * Counts WebSocket frames received.
     *
     * @param frames how many
     */
    public void wsFramesIn(long frames) {
        wsFramesIn.add(frames);
    }

    /**
     * Counts WebSocket frames sent.
     *
     * @param frames how many
     */
    public void wsFramesOut(long frames) {
        wsFramesOut.add(frames);
    }

    /** Counts a WebSocket connection closed because it could not keep up. */
    public void slowConsumerDisconnected() {
        slowConsumersDisconnected.increment();
    }

    /** Counts a gap frame sent. */
    public void gapSent() {
        gapsSent.increment();
    }

    /** Counts an error reply sent: an HTTP error response or a WebSocket error frame. */
    public void errorSent() {
        errorsSent.increment();
    }

    /** Counts a token refused: on an HTTP request, a WebSocket upgrade or an {@code auth} command. */
    public void authenticationRefused() {
        authenticationsRefused.increment();
    }

    /** Counts an action a caller's grants did not allow (401 without a token, 403 or a WebSocket error with one). */
    public void actionForbidden() {
        actionsForbidden.increment();
    }

    /** Counts a WebSocket session closed because its token expired. */
    public void tokenExpired() {
        tokensExpired.increment();
    }

    /** @return tokens refused since start */
    public long authenticationsRefused() {
        return authenticationsRefused.sum();
    }

    /** @return actions refused by grants since start */
    public long actionsForbidden() {
        return actionsForbidden.sum();
    }

    /** @return sessions closed at their token's expiry since start */
    public long tokensExpired() {
        return tokensExpired.sum();
    }

    /**
     * Counts a TLS handshake that did not complete: the client sent something other than TLS, timed out, refused the
     * certificate, or closed the connection first.
     */
    public void tlsHandshakeFailed() {
        tlsHandshakeFailures.increment();
    }

    /** @return the counters of rate limits, per-address limits and request deadlines */
    public LimitCounters limits() {
        return limits;
    }

    /** @return connections open now */
    public long connectionsOpen() {
        return connectionsOpen.get();
    }

    /** @return connections accepted since start */
    public long connectionsAccepted() {
        return connectionsAccepted.sum();
    }

    /** @return connections refused by the connection limit */
    public long connectionsRejected() {
        return connectionsRejected.sum();
    }

    /** @return WebSocket sessions open now */
    public long websocketSessionsOpen() {
        return websocketSessionsOpen.get();
    }

    /** @return WebSocket sessions opened since start */
    public long websocketSessionsTotal() {
        return websocketSessionsTotal.sum();
    }

    /**
     * HTTP responses sent with a status in one class.
     *
     * @param statusClass 2, 3, 4 or 5
     * @return the count
     */
    public long httpResponses(int statusClass) {
        return switch (statusClass) {
            case 2 -> http2xx.sum();
            case 3 -> http3xx.sum();
            case 4 -> http4xx.sum();
            case 5 -> http5xx.sum();
            default -> throw new IllegalArgumentException("statusClass must be 2..5, was " + statusClass);
        };
    }

    /** @return requests refused for their Origin */
    public long originsRejected() {
        return originsRejected.sum();
    }

    /** @return WebSocket frames received */
    public long wsFramesIn() {
        return wsFramesIn.sum();
    }

    /** @return WebSocket frames sent */
    public long wsFramesOut() {
        return wsFramesOut.sum();
    }

    /** @return slow consumers disconnected */
    public long slowConsumersDisconnected() {
        return slowConsumersDisconnected.sum();
    }

    /** @return gap frames sent */
    public long gapsSent() {
        return gapsSent.sum();
    }

    /** @return error replies sent */
    public long errorsSent() {
        return errorsSent.sum();
    }

    /** @return TLS handshakes that did not complete */
    public long tlsHandshakeFailures() {
        return tlsHandshakeFailures.sum();
    }
}
