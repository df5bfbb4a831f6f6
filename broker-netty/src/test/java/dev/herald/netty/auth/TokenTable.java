package dev.herald.netty.auth;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An authorizer for tests of the server's checks: each token is a key in a table, so a test decides exactly what a
 * token grants and until when, independently of any token format.
 */
public final class TokenTable implements Authorizer {
    private final Identity anonymous;
    private final Map<String, Identity> identities = new ConcurrentHashMap<>();

    /**
     * A table whose clients without a token get {@code anonymous}.
     *
     * @param anonymous the grants of a client without a token
     */
    public TokenTable(Grants anonymous) {
        this.anonymous = new Identity("", anonymous, null);
    }

    /**
     * Adds a token.
     *
     * @param token    the token
     * @param identity what it stands for
     * @return this table
     */
    public TokenTable with(String token, Identity identity) {
        identities.put(token, identity);
        return this;
    }

    @Override
    public Identity anonymous() {
        return anonymous;
    }

    @Override
    public Authentication authenticate(String token) {
        Identity identity = identities.get(token);
        return identity == null ? new Authentication.Refused("unknown token") : new Authentication.Accepted(identity);
    }
}
