package dev.herald.netty.internal.ws;

import dev.herald.netty.RateLimit;
import dev.herald.netty.internal.ConnectionLimits;
import dev.herald.netty.internal.LimitCounters;

/**
 * A WebSocket session's rate limits on commands: every text or binary frame takes a request permit (a fragmented
 * message takes one), and a publish a publish permit too. A refused command is not executed; the client gets an
 * {@code error} frame with code {@code rate_limited} and {@code retryAfterMs}, and a client that goes on past its
 * refusals (see {@link ConnectionLimits}) is closed with 1008.
 *
 * <p>Not thread-safe: confined to the connection's event loop.
 */
final class CommandLimiter {
    /**
     * Fired down the pipeline (by {@link PingLimiter}) when a client has gone on past its refusals; the session
     * then closes with 1008.
     */
    static final Object LIMIT_EXCEEDED = new Object() {
        @Override
        public String toString() {
            return "LIMIT_EXCEEDED";
        }
    };

    /** A refused command: the frame to send and whether to close the connection after it. */
    record Refusal(byte[] json, boolean close) {
    }

    private final ConnectionLimits limits;
    private final LimitCounters counters;

    CommandLimiter(ConnectionLimits limits, LimitCounters counters) {
        this.limits = limits;
        this.counters = counters;
    }

    /**
     * Takes the permits a command needs.
     *
     * @param decoded the decoded command or its decoding error; {@code null} for a binary frame
     * @return {@code null} if the command may go ahead; otherwise the refusal, and nothing was taken for it beyond
     *         the request permit
     */
    Refusal check(CommandDecoder.Result decoded) {
        ClientCommand.RequestId id = decoded instanceof ClientCommand c ? c.id()
                : decoded instanceof CommandError e ? e.id() : null;
        long wait = limits.acquireRequest();
        if (wait > 0) {
            counters.wsCommandRateLimited();
            return refuse(id, wait, "commands", limits.requestLimit());
        }
        if (decoded instanceof ClientCommand command && "publish".equals(command.action())) {
            wait = limits.acquirePublish();
            if (wait > 0) {
                counters.wsPublishRateLimited();
                return refuse(id, wait, "publishes", limits.publishLimit());
            }
        }
        return null;
    }

    private Refusal refuse(ClientCommand.RequestId id, long waitNanos, String what, RateLimit limit) {
        boolean close = limits.refuse();
        if (close) {
            counters.rateLimitClose();
        }
        long millis = ConnectionLimits.retryAfterMillis(waitNanos);
        return new Refusal(Replies.rateLimited(id, "too many " + what + " on this connection (at most " + limit
                + "); retry in " + millis + " ms", millis), close);
    }
}
