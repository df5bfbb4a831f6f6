package dev.herald.netty.auth;

import java.util.Objects;

/**
 * Decides who a client is and what it may do: a token in, an {@link Identity} (a name and its {@link Grants}) out.
 * The server asks it once per token (on the WebSocket upgrade, on each {@code auth} command, on each HTTP request
 * with {@code Authorization: Bearer}) and checks every subscribe, publish and history read against the grants.
 *
 * <p>Thread contract: implementations must be thread-safe, fast and non-blocking: the server calls them on its
 * event loops. An implementation that throws refuses the token (and the error is logged).
 */
public interface Authorizer {

    /**
     * What a client that presents no token may do. Called once per connection or request without a token.
     *
     * @return the anonymous identity; its grants may be {@linkplain Grants#none() none}
     */
    Identity anonymous();

    /**
     * Verifies a token.
     *
     * @param token the token as the client sent it, never {@code null}
     * @return the client's identity, or why the token is refused
     */
    Authentication authenticate(String token);

    /**
     * Whether this authorizer checks anything. The server behaves as without authentication when it does not:
     * it logs that authentication is off, and ignores tokens.
     *
     * @return {@code false} only for {@link #allowAll()}
     */
    default boolean enabled() {
        return true;
    }

    /**
     * No authentication: every client, with or without a token, may subscribe to, publish to and read every topic.
     * The default of a server.
     *
     * @return the authorizer that allows everything
     */
    static Authorizer allowAll() {
        return AllowAll.INSTANCE;
    }

    /** The outcome of {@link #authenticate}. */
    sealed interface Authentication {
        /**
         * A token was accepted.
         *
         * @param identity who the client is and what it may do
         */
        record Accepted(Identity identity) implements Authentication {
            /**
             * Checks the identity.
             *
             * @param identity the identity, not {@code null}
             */
            public Accepted {
                Objects.requireNonNull(identity, "identity");
            }
        }

        /**
         * A token was refused.
         *
         * @param reason why, for the client (never a secret: it is sent back in the error)
         */
        record Refused(String reason) implements Authentication {
            /**
             * Checks the reason.
             *
             * @param reason the reason, not {@code null}
             */
            public Refused {
                Objects.requireNonNull(reason, "reason");
            }
        }
    }
}
