package dev.herald.netty.internal.ws;

import dev.herald.netty.auth.Authorizer;
import dev.herald.netty.auth.Grants;
import dev.herald.netty.auth.Identity;
import dev.herald.netty.internal.Caller;
import io.netty.channel.ChannelHandlerContext;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * What one WebSocket session may do, and until when: the caller its upgrade request made, replaced by each accepted
 * {@code auth} command. Keeps the session's two timers: the end of its token's validity, and, for a session that
 * must authenticate before anything else, the deadline for its {@code auth} command.
 *
 * <p>Concurrency: confined to the channel's event loop; the timers run there too.
 */
final class SessionAccess {
    /** Close code for a refused or missing token. */
    static final int CLOSE_UNAUTHORIZED = 4001;
    /** Close code for a token that expired while the session was open. */
    static final int CLOSE_TOKEN_EXPIRED = 4002;

    private final Authorizer authorizer;
    private Caller caller;
    /** No token yet, and an anonymous client may do nothing: the session waits for an {@code auth} command. */
    private boolean awaitingToken;
    private ScheduledFuture<?> expiry;
    private ScheduledFuture<?> authDeadline;

    SessionAccess(Authorizer authorizer, Caller caller) {
        this.authorizer = authorizer;
        this.caller = caller;
        this.awaitingToken = authorizer.enabled() && caller.anonymous() && caller.identity().grants().isNone();
    }

    /**
     * Starts the timers once the session is open.
     *
     * @param onExpired     runs when the current identity expires
     * @param onNoToken     runs if an awaited {@code auth} command has not come within {@code authTimeout}
     * @param authTimeout   how long to wait for it
     */
    void start(ChannelHandlerContext ctx, Runnable onExpired, Runnable onNoToken, Duration authTimeout) {
        if (awaitingToken) {
            authDeadline = ctx.executor().schedule(() -> {
                if (awaitingToken) {
                    onNoToken.run();
                }
            }, authTimeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        scheduleExpiry(ctx, onExpired);
    }

    /** Whether the session may do nothing but authenticate. */
    boolean awaitingToken() {
        return awaitingToken;
    }

    /** Whether the caller presented no token: a refusal then asks for one rather than forbids. */
    boolean anonymous() {
        return caller.anonymous();
    }

    Grants grants() {
        return caller.identity().grants();
    }

    /**
     * Replaces the caller with the one a new token makes. On refusal the caller stays as it was; the session then
     * closes anyway.
     *
     * @return the new identity, or the refusal
     */
    Authorizer.Authentication authenticate(ChannelHandlerContext ctx, String token, Runnable onExpired) {
        Authorizer.Authentication result = Caller.authenticate(authorizer, token);
        if (result instanceof Authorizer.Authentication.Accepted accepted) {
            caller = new Caller(accepted.identity(), false);
            awaitingToken = false;
            cancel(authDeadline);
            authDeadline = null;
            scheduleExpiry(ctx, onExpired);
        }
        return result;
    }

    private void scheduleExpiry(ChannelHandlerContext ctx, Runnable onExpired) {
        cancel(expiry);
        expiry = null;
        Identity identity = caller.identity();
        Instant expiresAt = identity.expiresAt();
        if (expiresAt == null) {
            return;
        }
        long delayMillis = Math.max(0, Duration.between(Instant.now(), expiresAt).toMillis());
        expiry = ctx.executor().schedule(() -> {
            // A newer token may have replaced this identity after the task was due but before it ran.
            if (caller.identity() == identity) {
                onExpired.run();
            }
        }, delayMillis, TimeUnit.MILLISECONDS);
    }

    /** Cancels the timers; the session is over. */
    void stop() {
        cancel(expiry);
        cancel(authDeadline);
        expiry = null;
        authDeadline = null;
    }

    private static void cancel(ScheduledFuture<?> timer) {
        if (timer != null) {
            timer.cancel(false);
        }
    }
}
