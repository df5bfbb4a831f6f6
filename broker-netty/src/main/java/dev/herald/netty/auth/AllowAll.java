package dev.herald.netty.auth;

/** {@link Authorizer#allowAll()}. */
final class AllowAll implements Authorizer {
    static final AllowAll INSTANCE = new AllowAll();
    private static final Identity EVERYONE = new Identity("", Grants.all(), null);

    private AllowAll() {
    }

    @Override
    public Identity anonymous() {
        return EVERYONE;
    }

    @Override
    public Authentication authenticate(String token) {
        return new Authentication.Accepted(EVERYONE);
    }

    @Override
    public boolean enabled() {
        return false;
    }

    @Override
    public String toString() {
        return "Authorizer.allowAll()";
    }
}
