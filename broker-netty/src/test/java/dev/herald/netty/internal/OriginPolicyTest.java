package dev.herald.netty.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class OriginPolicyTest {

    @Test
    void defaultAllowsNoOriginAndSameOriginOnly() {
        OriginPolicy policy = OriginPolicy.of(List.of());
        assertTrue(policy.allows(null, "localhost:8080"));
        assertTrue(policy.allows(null, null));
        assertTrue(policy.allows("http://localhost:8080", "localhost:8080"));
        assertTrue(policy.allows("HTTP://LocalHost:8080", "localhost:8080"));
        assertTrue(policy.allows("https://example.com", "example.com"), "TLS terminated by a proxy");
        assertTrue(policy.allows("http://example.com", "example.com"));
        assertTrue(policy.allows("http://example.com:80", "example.com:80"));
        assertTrue(policy.allows("http://[::1]:8080", "[::1]:8080"));
        assertFalse(policy.allows("http://localhost:3000", "localhost:8080"));
        assertFalse(policy.allows("http://evil.com", "localhost:8080"));
        assertFalse(policy.allows("https://example.com:8443", "example.com"));
        assertFalse(policy.allows("http://localhost:8080", null));
        assertFalse(policy.allows("null", "localhost:8080"));
        assertFalse(policy.allows("file://", "localhost:8080"));
        assertFalse(policy.allows("http://localhost:8080/path", "localhost:8080"));
    }

    @Test
    void exactEntriesCompareSchemeHostAndPort() {
        OriginPolicy policy = OriginPolicy.of(List.of("http://localhost:3000", "https://app.example.com"));
        assertTrue(policy.allows("http://localhost:3000", "api:8080"));
        assertTrue(policy.allows("https://app.example.com", "api:8080"));
        assertTrue(policy.allows("https://app.example.com:443", "api:8080"));
        assertFalse(policy.allows("https://localhost:3000", "api:8080"));
        assertFalse(policy.allows("http://localhost:3001", "api:8080"));
        assertFalse(policy.allows("http://app.example.com", "api:8080"));
        assertTrue(policy.allows("http://api:8080", "api:8080"), "the server's own origin, besides the list");
    }

    /** Regression: with any entry configured, the server's own origin was refused, and the demo page with it. */
    @Test
    void theServersOwnOriginStaysAllowedBesidesTheListedOnes() {
        OriginPolicy policy = OriginPolicy.of(List.of("http://localhost:3000", "https://*.example.com"));
        assertTrue(policy.allows("http://localhost:8080", "localhost:8080"), "its own origin");
        assertTrue(policy.allows("https://herald.internal", "herald.internal"), "its own, behind a TLS proxy");
        assertTrue(policy.allows("http://localhost:3000", "localhost:8080"), "a listed one");
        assertTrue(policy.allows("https://a.example.com", "localhost:8080"), "a listed wildcard");
        assertFalse(policy.allows("http://localhost:3001", "localhost:8080"), "neither");
        assertFalse(policy.allows("http://localhost:8080", "localhost:9090"), "another server's");
    }

    @Test
    void overTlsTheServersOwnOriginIsHttpsOnly() {
        OriginPolicy policy = OriginPolicy.of(List.of());
        assertTrue(policy.allows("https://localhost:8443", "localhost:8443", true));
        assertTrue(policy.allows("HTTPS://LocalHost:8443", "localhost:8443", true));
        assertTrue(policy.allows("https://example.com", "example.com", true), "443 when Host names no port");
        assertTrue(policy.allows("https://example.com:443", "example.com", true));
        assertTrue(policy.allows("https://[::1]:8443", "[::1]:8443", true));
        assertTrue(policy.allows(null, "localhost:8443", true), "no Origin: not a browser");
        assertFalse(policy.allows("http://localhost:8443", "localhost:8443", true), "no page comes from there");
        assertFalse(policy.allows("http://example.com", "example.com", true));
        assertFalse(policy.allows("https://example.com:8443", "example.com", true));
        assertFalse(policy.allows("https://localhost:9443", "localhost:8443", true));
        assertFalse(policy.allows("https://localhost:8443", null, true));
        // Plain connections keep accepting either scheme: a proxy in front may terminate TLS.
        assertTrue(policy.allows("http://localhost:8443", "localhost:8443", false));
        assertTrue(policy.allows("http://localhost:8443", "localhost:8443"));
    }

    @Test
    void overTlsListedOriginsStayAllowedWhateverTheirScheme() {
        OriginPolicy policy = OriginPolicy.of(List.of("http://localhost:3000", "https://*.example.com"));
        assertTrue(policy.allows("http://localhost:3000", "localhost:8443", true));
        assertTrue(policy.allows("https://a.example.com", "localhost:8443", true));
        assertTrue(policy.allows("https://localhost:8443", "localhost:8443", true), "its own");
        assertFalse(policy.allows("http://localhost:8443", "localhost:8443", true));
    }

    @Test
    void wildcardEntriesMatchSubdomainsOnly() {
        OriginPolicy policy = OriginPolicy.of(List.of("https://*.example.com"));
        assertTrue(policy.allows("https://a.example.com", "h"));
        assertTrue(policy.allows("https://a.b.example.com", "h"));
        assertFalse(policy.allows("https://example.com", "h"));
        assertFalse(policy.allows("https://evilexample.com", "h"));
        assertFalse(policy.allows("http://a.example.com", "h"));
        assertFalse(policy.allows("https://a.example.com:8443", "h"));
        assertFalse(policy.allows("https://a.example.com.evil.net", "h"));
    }

    @Test
    void starAllowsAnyOrigin() {
        OriginPolicy policy = OriginPolicy.of(List.of("*"));
        assertTrue(policy.allows("https://anything.example", "h"));
        assertTrue(policy.allows("null", "h"));
    }

    @Test
    void malformedEntriesAreRejectedByName() {
        for (String bad : List.of("", "localhost:3000", "ftp://x.com", "http://", "http://x.com/path",
                "http://x.com:0", "http://x.com:99999", "http://a.*.com", "https://*", "*.example.com",
                "http://user@x.com")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> OriginPolicy.of(List.of(bad)), bad);
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
    }
}
