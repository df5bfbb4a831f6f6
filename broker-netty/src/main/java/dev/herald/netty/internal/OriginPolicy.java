package dev.herald.netty.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Decides whether a request's {@code Origin} is allowed. Built once from the configured allow-list; immutable and
 * thread-safe.
 *
 * <p>A request with an {@code Origin} header is allowed when the origin is the same as the server's own, as named by
 * the {@code Host} header (and, on a TLS connection, the {@code https} scheme), or matches an entry of the
 * allow-list; an empty list (the secure default) allows the server's own origin only. A request without {@code Origin}
 * (curl, a server, a native client) is always allowed: the check protects browsers' users from cross-site
 * WebSocket hijacking and cross-site publishes, and only browsers send {@code Origin}.
 *
 * <p>Entries are exact origins ({@code http://localhost:3000}), wildcard subdomains ({@code https://*.example.com}:
 * one or more labels before {@code example.com}, never {@code example.com} itself) or {@code *} (any origin).
 * Scheme and host compare case-insensitively; a missing port means the scheme's default port.
 */
public final class OriginPolicy {
    private final boolean any;
    private final List<Origin> exact;
    private final List<Origin> wildcard;

    private OriginPolicy(boolean any, List<Origin> exact, List<Origin> wildcard) {
        this.any = any;
        this.exact = exact;
        this.wildcard = wildcard;
    }

    /**
     * Builds the policy.
     *
     * @param allowed allow-list entries
     * @return the policy
     * @throws IllegalArgumentException naming the first entry that is not a valid origin pattern
     */
    public static OriginPolicy of(List<String> allowed) {
        boolean any = false;
        List<Origin> exact = new ArrayList<>();
        List<Origin> wildcard = new ArrayList<>();
        for (String entry : allowed) {
            if ("*".equals(entry)) {
                any = true;
                continue;
            }
            Origin origin = parse(entry, true);
            if (origin == null) {
                throw new IllegalArgumentException("allowedOrigins entry '" + entry
                        + "' is not '*', an origin like 'https://app.example.com:8443' or a wildcard like"
                        + " 'https://*.example.com'");
            }
            (origin.host.startsWith("*.") ? wildcard : exact).add(origin);
        }
        return new OriginPolicy(any, List.copyOf(exact), List.copyOf(wildcard));
    }

    /**
     * Checks one request that arrived over plain HTTP; the same as {@code allows(originHeader, hostHeader, false)}.
     *
     * @param originHeader the {@code Origin} header, or {@code null} if absent
     * @param hostHeader   the {@code Host} header, or {@code null} if absent
     * @return {@code true} if the request may proceed
     */
    public boolean allows(String originHeader, String hostHeader) {
        return allows(originHeader, hostHeader, false);
    }

    /**
     * Checks one request.
     *
     * @param originHeader the {@code Origin} header, or {@code null} if absent
     * @param hostHeader   the {@code Host} header, or {@code null} if absent
     * @param tls          whether the request arrived over a TLS connection the server itself terminates: then the
     *                     server's own origin is {@code https://} the {@code Host}, nothing else
     * @return {@code true} if the request may proceed
     */
    public boolean allows(String originHeader, String hostHeader, boolean tls) {
        if (originHeader == null || any) {
            return true;
        }
        Origin origin = parse(originHeader.trim(), false);
        if (origin == null) {
            return false; // "null" (sandboxed frames, file: pages) or garbage
        }
        // The server's own origin is always allowed; the list names the others ("besides the server's own").
        if (sameOrigin(origin, hostHeader, tls)) {
            return true;
        }
        for (Origin allowed : exact) {
            if (allowed.equals(origin)) {
                return true;
            }
        }
        for (Origin allowed : wildcard) {
            String suffix = allowed.host.substring(1); // ".example.com"
            if (allowed.scheme.equals(origin.scheme) && allowed.port == origin.port
                    && origin.host.endsWith(suffix) && origin.host.length() > suffix.length()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Same origin as the server named by {@code Host}. On a plain connection the server does not know whether a
     * proxy in front of it terminates TLS, so either scheme will do: a {@code Host} without a port matches the
     * origin's host on its scheme's default port, and a {@code Host} with a port must match the origin's (explicit
     * or default) port. On a TLS connection the server's origin is {@code https://host[:port]}, port 443 if the
     * {@code Host} names none; an {@code http} origin is another site's, since no page can come from this port
     * over plain HTTP.
     */
    private static boolean sameOrigin(Origin origin, String hostHeader, boolean tls) {
        if (hostHeader == null || hostHeader.isBlank()) {
            return false;
        }
        if (tls && !origin.scheme.equals("https")) {
            return false;
        }
        String host = hostHeader.trim().toLowerCase(Locale.ROOT);
        int port = -1;
        int colon = host.lastIndexOf(':');
        if (colon >= 0 && host.indexOf(']', colon) < 0) {
            port = parsePort(host.substring(colon + 1));
            if (port < 0) {
                return false;
            }
            host = host.substring(0, colon);
        }
        if (!origin.host.equals(host)) {
            return false;
        }
        return port < 0 ? origin.port == defaultPort(origin.scheme) : origin.port == port;
    }

    /** Parses {@code scheme://host[:port]}; returns {@code null} if malformed. */
    private static Origin parse(String text, boolean wildcardAllowed) {
        if (text == null) {
            return null;
        }
        String lower = text.toLowerCase(Locale.ROOT);
        int sep = lower.indexOf("://");
        if (sep <= 0) {
            return null;
        }
        String scheme = lower.substring(0, sep);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return null;
        }
        String rest = lower.substring(sep + 3);
        if (rest.isEmpty() || rest.indexOf('/') >= 0 || rest.indexOf('?') >= 0 || rest.indexOf('#') >= 0
                || rest.indexOf('@') >= 0) {
            return null;
        }
        String host = rest;
        int port = defaultPort(scheme);
        int colon = rest.lastIndexOf(':');
        if (colon >= 0 && rest.indexOf(']', colon) < 0) {
            port = parsePort(rest.substring(colon + 1));
            if (port < 0) {
                return null;
            }
            host = rest.substring(0, colon);
        }
        if (!validHost(host, wildcardAllowed)) {
            return null;
        }
        return new Origin(scheme, host, port);
    }

    private static boolean validHost(String host, boolean wildcardAllowed) {
        if (host.isEmpty()) {
            return false;
        }
        String labels = host;
        if (host.startsWith("*.")) {
            if (!wildcardAllowed) {
                return false;
            }
            labels = host.substring(2);
        }
        if (labels.startsWith("[") && labels.endsWith("]")) {
            return labels.length() > 2; // IPv6 literal
        }
        if (labels.isEmpty() || labels.startsWith(".") || labels.endsWith(".") || labels.contains("..")) {
            return false;
        }
        for (int i = 0; i < labels.length(); i++) {
            char c = labels.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.')) {
                return false;
            }
        }
        return true;
    }

    private static int parsePort(String s) {
        if (s.isEmpty() || s.length() > 5) {
            return -1;
        }
        int port = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            port = port * 10 + (c - '0');
        }
        return port >= 1 && port <= 65535 ? port : -1;
    }

    private static int defaultPort(String scheme) {
        return scheme.equals("https") ? 443 : 80;
    }

    private record Origin(String scheme, String host, int port) {
    }
}
