package dev.herald.netty.auth;

import java.time.Instant;
import java.util.Objects;

/**
 * Who a client is, what it may do, and until when.
 *
 * @param subject   the client's name (a JWT's {@code sub}); empty for an anonymous client
 * @param grants    what it may do
 * @param expiresAt when the identity stops being valid (a JWT's {@code exp}, plus any leeway); {@code null} if never.
 *                  A WebSocket connection is closed then unless the client authenticated again.
 */
public record Identity(String subject, Grants grants, Instant expiresAt) {

    /**
     * Checks the components.
     *
     * @param subject   the subject, not {@code null}
     * @param grants    the grants, not {@code null}
     * @param expiresAt the expiry, or {@code null}
     */
    public Identity {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(grants, "grants");
    }
}
