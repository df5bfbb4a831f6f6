/**
 * Herald's publish/subscribe engine. Depends on nothing but the JDK.
 *
 * <p>Exports the API ({@code dev.herald.core}), the built-in policies ({@code dev.herald.core.policy}) and the
 * engine service-provider interface ({@code dev.herald.core.spi}). Everything in
 * {@code dev.herald.core.internal} is implementation and may change without notice.
 */
module dev.herald.core {
    exports dev.herald.core;
    exports dev.herald.core.policy;
    exports dev.herald.core.spi;
}
