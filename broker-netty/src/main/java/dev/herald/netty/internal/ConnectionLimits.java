package dev.herald.netty.internal;

import dev.herald.netty.HeraldServerConfig;
import dev.herald.netty.RateLimit;
import io.netty.channel.Channel;
import io.netty.util.Attribute;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.Ticker;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * One connection's rate limits, the same for its HTTP requests and, once it upgraded, its WebSocket commands:
 * requests (every HTTP request, every WebSocket command and ping), publishes (HTTP or WebSocket), and refusals.
 *
 * <p>Refusals are a bucket of their own, {@value #REFUSALS_BURST} deep and refilled at one a second: each refusal
 * for rate takes one, and a refusal that finds none left closes the connection instead (a client that goes on
 * sending past its limits, rather than waiting as told). A client that waits as long as each refusal says is
 * refused once per limit, and never closed.
 *
 * <p>Not thread-safe: confined to the connection's event loop. Kept as an attribute of the channel, made on first
 * use, so that the HTTP router and the WebSocket session share it.
 */
public final class ConnectionLimits {
    /** Refusals for rate a connection may collect at once before the next one closes it. */
    public static final int REFUSALS_BURST = 50;
    /** The refusals bucket: {@value #REFUSALS_BURST} at once, one more each second. */
    public static final RateLimit REFUSALS = RateLimit.perSecond(1, REFUSALS_BURST);

    private static final AttributeKey<ConnectionLimits> KEY =
            AttributeKey.valueOf(ConnectionLimits.class, "limits");

    private final RateLimit requestLimit;
    private final RateLimit publishLimit;
    private final TokenBucket requests;
    private final TokenBucket publishes;
    private final TokenBucket refusals;

    /**
     * Creates the limits of one connection.
     *
     * @param config the server's settings: {@link HeraldServerConfig#requestRateLimit()} and
     *               {@link HeraldServerConfig#publishRateLimit()}
     * @param clock  nanoseconds, as {@link System#nanoTime()}
     */
    public ConnectionLimits(HeraldServerConfig config, LongSupplier clock) {
        requestLimit = config.requestRateLimit();
        publishLimit = config.publishRateLimit();
        requests = requestLimit.isOff() ? null : new TokenBucket(requestLimit, clock);
        publishes = publishLimit.isOff() ? null : new TokenBucket(publishLimit, clock);
        refusals = requests == null && publishes == null ? null : new TokenBucket(REFUSALS, clock);
    }

    /**
     * The limits of a connection, made on first use, on the time of the connection's event loop
     * ({@link io.netty.util.concurrent.EventExecutor#ticker()}). Call on that event loop.
     *
     * @param channel the connection
     * @param config  the server's settings
     * @return the connection's limits
     */
    public static ConnectionLimits of(Channel channel, HeraldServerConfig config) {
        Attribute<ConnectionLimits> attribute = channel.attr(KEY);
        ConnectionLimits limits = attribute.get();
        if (limits == null) {
            Ticker ticker = channel.eventLoop().ticker();
            limits = new ConnectionLimits(config, ticker::nanoTime);
            attribute.set(limits);
        }
        return limits;
    }

    /**
     * Takes a request permit.
     *
     * @return 0 if the request may go ahead; otherwise nanoseconds until it could
     */
    public long acquireRequest() {
        return requests == null ? 0 : requests.tryAcquire();
    }

    /**
     * Takes a publish permit.
     *
     * @return 0 if the publish may go ahead; otherwise nanoseconds until it could
     */
    public long acquirePublish() {
        return publishes == null ? 0 : publishes.tryAcquire();
    }

    /**
     * Counts a refusal for rate.
     *
     * @return {@code true} if the connection has used up its refusals and is to be closed
     */
    public boolean refuse() {
        return refusals != null && refusals.tryAcquire() > 0;
    }

    /** @return the request limit, for messages */
    public RateLimit requestLimit() {
        return requestLimit;
    }

    /** @return the publish limit, for messages */
    public RateLimit publishLimit() {
        return publishLimit;
    }

    /**
     * A wait in whole seconds, rounded up, at least 1: the value of a {@code Retry-After} header.
     *
     * @param nanos the wait
     * @return seconds
     */
    public static long retryAfterSeconds(long nanos) {
        return Math.max(1, (nanos + TimeUnit.SECONDS.toNanos(1) - 1) / TimeUnit.SECONDS.toNanos(1));
    }

    /**
     * A wait in whole milliseconds, rounded up, at least 1.
     *
     * @param nanos the wait
     * @return milliseconds
     */
    public static long retryAfterMillis(long nanos) {
        return Math.max(1, (nanos + TimeUnit.MILLISECONDS.toNanos(1) - 1) / TimeUnit.MILLISECONDS.toNanos(1));
    }
}
