package dev.herald.netty.internal;

import dev.herald.netty.auth.Authorizer;
import dev.herald.netty.auth.Grants;
import dev.herald.netty.auth.Identity;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who sent a request or opened a session: the identity its token gave, or the anonymous one.
 *
 * @param identity the identity whose grants decide what the caller may do
 * @param anonymous {@code true} if the caller presented no token; a refusal then asks for one (401) rather than
 *                  forbids (403)
 */
public record Caller(Identity identity, boolean anonymous) {

    /**
     * Checks the identity.
     *
     * @param identity  the identity
     * @param anonymous whether no token was presented
     */
    public Caller {
        Objects.requireNonNull(identity, "identity");
    }

    private static final Logger LOG = LoggerFactory.getLogger(Caller.class);

    /**
     * The caller without a token.
     *
     * @param authorizer the server's authorizer
     * @return the anonymous caller
     */
    public static Caller anonymous(Authorizer authorizer) {
        return new Caller(authorizer.anonymous(), true);
    }

    /**
     * Asks the authorizer about a token; an authorizer that throws refuses it. An accepted token's grants include
     * the anonymous ones.
     *
     * @param authorizer the server's authorizer
     * @param token      the token presented
     * @return the authorizer's answer
     */
    public static Authorizer.Authentication authenticate(Authorizer authorizer, String token) {
        try {
            Authorizer.Authentication result = Objects.requireNonNull(authorizer.authenticate(token),
                    "the authorizer answered null");
            if (result instanceof Authorizer.Authentication.Accepted accepted) {
                // What anyone may do without a token, a token holder may do too: it could always open a second,
                // anonymous connection.
                Identity identity = accepted.identity();
                Grants anonymous = authorizer.anonymous().grants();
                Grants effective = identity.grants().union(anonymous);
                if (effective != identity.grants()) {
                    return new Authorizer.Authentication.Accepted(
                            new Identity(identity.subject(), effective, identity.expiresAt()));
                }
            }
            return result;
        } catch (RuntimeException e) {
            LOG.warn("the authorizer failed on a token", e);
            return new Authorizer.Authentication.Refused("the token could not be checked");
        }
    }
}
