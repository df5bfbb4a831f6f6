package dev.herald.netty;

import dev.herald.netty.internal.OriginPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The settings of a {@link HeraldServer} or a {@link HeraldChannelInitializer}: where to listen, the WebSocket
 * path, which browser origins may connect, and the bounds on every per-connection resource. Immutable and
 * thread-safe; build one with {@link #builder()} or take the {@link #defaults()}.
 *
 * <p>Defaults: host {@code 0.0.0.0}, port 8080, WebSocket path {@code /ws}, no extra allowed origins (only
 * same-origin browser requests, see {@link Builder#allowedOrigins}), HTTP bodies up to 1 MiB, WebSocket frames up
 * to 64 KiB, 10,000 connections, 100 subscriptions per connection, a ping every 25 s, connections closed after
 * 60 s of silence, 10 s for each of the TLS and WebSocket handshakes, 1024 queued messages per connection, write
 * buffer water marks of 128 KiB and 256 KiB, {@link SlowConsumerPolicy#DISCONNECT}, 10 s to shut down, history
 * pages of at most 1000 messages, and no demo page.
 *
 * <p>Abuse limits, so that the server can face the internet, are on by default with generous values: per
 * connection 200 requests (HTTP requests and WebSocket commands) per second with bursts of 400, and 100 publishes
 * per second with bursts of 200; per client address 50 new connections per second with bursts of 200, and at most
 * 1000 open connections; a request's head and body must arrive within 10 s of its first byte; request lines of at
 * most 8 KiB, headers of at most 16 KiB in all, and at most 16 pipelined requests waiting per connection.
 */
public final class HeraldServerConfig {
    private static final HeraldServerConfig DEFAULTS = new Builder().build();

    private final String host;
    private final int port;
    private final String websocketPath;
    private final List<String> allowedOrigins;
    private final int maxHttpBodyBytes;
    private final int maxFrameBytes;
    private final int maxConnections;
    private final int maxSubscriptionsPerConnection;
    private final Duration heartbeatInterval;
    private final Duration idleTimeout;
    private final Duration handshakeTimeout;
    private final int outboundQueueLimit;
    private final int writeBufferLowWaterMark;
    private final int writeBufferHighWaterMark;
    private final SlowConsumerPolicy slowConsumerPolicy;
    private final Duration shutdownTimeout;
    private final int historyLimit;
    private final boolean demoPage;
    private final String nodeId;
    private final RateLimit requestRateLimit;
    private final RateLimit publishRateLimit;
    private final RateLimit connectionRateLimit;
    private final int maxConnectionsPerAddress;
    private final Duration requestTimeout;
    private final int maxRequestLineBytes;
    private final int maxHeaderBytes;
    private final int maxPipelinedRequests;

    private HeraldServerConfig(Builder b) {
        host = b.host != null ? b.host : "0.0.0.0";
        port = b.port != null ? b.port : 8080;
        websocketPath = b.websocketPath != null ? b.websocketPath : "/ws";
        allowedOrigins = b.allowedOrigins != null ? b.allowedOrigins : List.of();
        maxHttpBodyBytes = b.maxHttpBodyBytes != null ? b.maxHttpBodyBytes : 1 << 20;
        maxFrameBytes = b.maxFrameBytes != null ? b.maxFrameBytes : 64 << 10;
        maxConnections = b.maxConnections != null ? b.maxConnections : 10_000;
        maxSubscriptionsPerConnection = b.maxSubscriptionsPerConnection != null ? b.maxSubscriptionsPerConnection : 100;
        heartbeatInterval = b.heartbeatInterval != null ? b.heartbeatInterval : Duration.ofSeconds(25);
        idleTimeout = b.idleTimeout != null ? b.idleTimeout : Duration.ofSeconds(60);
        handshakeTimeout = b.handshakeTimeout != null ? b.handshakeTimeout : Duration.ofSeconds(10);
        outboundQueueLimit = b.outboundQueueLimit != null ? b.outboundQueueLimit : 1024;
        writeBufferLowWaterMark = b.writeBufferLowWaterMark != null ? b.writeBufferLowWaterMark : 128 << 10;
        writeBufferHighWaterMark = b.writeBufferHighWaterMark != null ? b.writeBufferHighWaterMark : 256 << 10;
        slowConsumerPolicy = b.slowConsumerPolicy != null ? b.slowConsumerPolicy : SlowConsumerPolicy.DISCONNECT;
        shutdownTimeout = b.shutdownTimeout != null ? b.shutdownTimeout : Duration.ofSeconds(10);
        historyLimit = b.historyLimit != null ? b.historyLimit : 1000;
        demoPage = b.demoPage != null && b.demoPage;
        nodeId = b.nodeId;
        requestRateLimit = b.requestRateLimit != null ? b.requestRateLimit : RateLimit.perSecond(200, 400);
        publishRateLimit = b.publishRateLimit != null ? b.publishRateLimit : RateLimit.perSecond(100, 200);
        connectionRateLimit = b.connectionRateLimit != null ? b.connectionRateLimit : RateLimit.perSecond(50, 200);
        maxConnectionsPerAddress = b.maxConnectionsPerAddress != null ? b.maxConnectionsPerAddress : 1000;
        requestTimeout = b.requestTimeout != null ? b.requestTimeout : Duration.ofSeconds(10);
        maxRequestLineBytes = b.maxRequestLineBytes != null ? b.maxRequestLineBytes : 8 << 10;
        maxHeaderBytes = b.maxHeaderBytes != null ? b.maxHeaderBytes : 16 << 10;
        maxPipelinedRequests = b.maxPipelinedRequests != null ? b.maxPipelinedRequests : 16;
        if (writeBufferLowWaterMark > writeBufferHighWaterMark) {
            throw new IllegalArgumentException("writeBufferLowWaterMark " + writeBufferLowWaterMark
                    + " must not exceed writeBufferHighWaterMark " + writeBufferHighWaterMark);
        }
    }

    /**
     * The default settings.
     *
     * @return the defaults
     */
    public static HeraldServerConfig defaults() {
        return DEFAULTS;
    }

    /**
     * A builder starting from the defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The address to listen on.
     *
     * @return a host name or IP literal; {@code 0.0.0.0} means every interface
     */
    public String host() {
        return host;
    }

    /**
     * The port to listen on.
     *
     * @return 0 to 65535; 0 means any free port
     */
    public int port() {
        return port;
    }

    /**
     * The path where WebSocket clients upgrade.
     *
     * @return an absolute path such as {@code /ws}
     */
    public String websocketPath() {
        return websocketPath;
    }

    /**
     * Browser origins allowed besides the server's own; empty means same-origin only.
     *
     * @return the allow-list, immutable
     */
    public List<String> allowedOrigins() {
        return allowedOrigins;
    }

    /**
     * The largest HTTP request body accepted; larger ones get 413.
     *
     * @return bytes
     */
    public int maxHttpBodyBytes() {
        return maxHttpBodyBytes;
    }

    /**
     * The largest WebSocket frame or message accepted; larger ones close the connection with 1009.
     *
     * @return bytes
     */
    public int maxFrameBytes() {
        return maxFrameBytes;
    }

    /**
     * The most connections open at once; requests on connections past it get 503.
     *
     * @return the bound
     */
    public int maxConnections() {
        return maxConnections;
    }

    /**
     * The most subscriptions one WebSocket connection may hold.
     *
     * @return the bound
     */
    public int maxSubscriptionsPerConnection() {
        return maxSubscriptionsPerConnection;
    }

    /**
     * How often the server pings an open WebSocket connection.
     *
     * @return the interval, positive
     */
    public Duration heartbeatInterval() {
        return heartbeatInterval;
    }

    /**
     * How long a connection may stay silent before the server closes it.
     *
     * @return the timeout, positive
     */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /**
     * How long a WebSocket handshake may take, and on a TLS server a TLS handshake too: a connection whose TLS
     * handshake has not finished this long after it opened is closed.
     *
     * @return the timeout, positive
     */
    public Duration handshakeTimeout() {
        return handshakeTimeout;
    }

    /**
     * The most messages queued for one connection while its socket is not writable.
     *
     * @return the bound
     */
    public int outboundQueueLimit() {
        return outboundQueueLimit;
    }

    /**
     * The socket write buffer size below which a connection becomes writable again.
     *
     * @return bytes
     */
    public int writeBufferLowWaterMark() {
        return writeBufferLowWaterMark;
    }

    /**
     * The socket write buffer size above which a connection counts as not writable.
     *
     * @return bytes
     */
    public int writeBufferHighWaterMark() {
        return writeBufferHighWaterMark;
    }

    /**
     * What happens to a WebSocket client that cannot keep up.
     *
     * @return the policy
     */
    public SlowConsumerPolicy slowConsumerPolicy() {
        return slowConsumerPolicy;
    }

    /**
     * How long {@link HeraldServer#close()} waits for in-flight requests and closing sessions.
     *
     * @return the timeout, zero or positive
     */
    public Duration shutdownTimeout() {
        return shutdownTimeout;
    }

    /**
     * The default and largest page size of a history request.
     *
     * @return messages per page
     */
    public int historyLimit() {
        return historyLimit;
    }

    /**
     * Whether {@code GET /} serves the demo page.
     *
     * @return {@code true} if it does; otherwise {@code GET /} answers 404
     */
    public boolean demoPage() {
        return demoPage;
    }

    /**
     * The name of this server among several that share one engine, shown in its metrics; {@code null} if unnamed.
     *
     * @return the node id, or {@code null}
     */
    public String nodeId() {
        return nodeId;
    }

    /**
     * Each connection's limit on requests: every HTTP request, and every WebSocket command and ping. Past it a
     * request gets 429 and a command an {@code error} frame with code {@code rate_limited}.
     *
     * @return the rate and burst, or {@link RateLimit#off()}
     */
    public RateLimit requestRateLimit() {
        return requestRateLimit;
    }

    /**
     * Each connection's limit on publishes, over HTTP or WebSocket (a publish also counts as a request).
     *
     * @return the rate and burst, or {@link RateLimit#off()}
     */
    public RateLimit publishRateLimit() {
        return publishRateLimit;
    }

    /**
     * Each client address's limit on new connections (IPv6 addresses count by their /64 prefix). A connection
     * past it is closed as soon as it is accepted, without a response.
     *
     * @return the rate and burst, or {@link RateLimit#off()}
     */
    public RateLimit connectionRateLimit() {
        return connectionRateLimit;
    }

    /**
     * The most connections one client address may hold open (IPv6 addresses count by their /64 prefix). A
     * connection past it is closed as soon as it is accepted, without a response.
     *
     * @return the bound; 0 means no per-address bound
     */
    public int maxConnectionsPerAddress() {
        return maxConnectionsPerAddress;
    }

    /**
     * The longest an HTTP request may take to arrive, from its first byte to its last: head and body. A request
     * that takes longer gets 408 and its connection is closed.
     *
     * @return the timeout, positive
     */
    public Duration requestTimeout() {
        return requestTimeout;
    }

    /**
     * The longest HTTP request line ({@code GET /path?query HTTP/1.1}) accepted; a longer one gets 414 and the
     * connection is closed.
     *
     * @return bytes
     */
    public int maxRequestLineBytes() {
        return maxRequestLineBytes;
    }

    /**
     * The most bytes of HTTP headers accepted in one request, all header lines together; more get 431 and the
     * connection is closed.
     *
     * @return bytes
     */
    public int maxHeaderBytes() {
        return maxHeaderBytes;
    }

    /**
     * The most HTTP requests a connection may have waiting while one is answered (pipelining); one more closes
     * the connection.
     *
     * @return the bound
     */
    public int maxPipelinedRequests() {
        return maxPipelinedRequests;
    }

    @Override
    public String toString() {
        return "HeraldServerConfig{host=" + host + ", port=" + port + ", websocketPath=" + websocketPath
                + ", allowedOrigins=" + allowedOrigins + ", maxHttpBodyBytes=" + maxHttpBodyBytes
                + ", maxFrameBytes=" + maxFrameBytes + ", maxConnections=" + maxConnections
                + ", maxSubscriptionsPerConnection=" + maxSubscriptionsPerConnection
                + ", heartbeatInterval=" + heartbeatInterval + ", idleTimeout=" + idleTimeout
                + ", handshakeTimeout=" + handshakeTimeout + ", outboundQueueLimit=" + outboundQueueLimit
                + ", writeBufferLowWaterMark=" + writeBufferLowWaterMark
                + ", writeBufferHighWaterMark=" + writeBufferHighWaterMark
                + ", slowConsumerPolicy=" + slowConsumerPolicy + ", shutdownTimeout=" + shutdownTimeout
                + ", historyLimit=" + historyLimit + ", demoPage=" + demoPage
                + ", requestRateLimit=" + requestRateLimit + ", publishRateLimit=" + publishRateLimit
                + ", connectionRateLimit=" + connectionRateLimit
                + ", maxConnectionsPerAddress=" + maxConnectionsPerAddress + ", requestTimeout=" + requestTimeout
                + ", maxRequestLineBytes=" + maxRequestLineBytes + ", maxHeaderBytes=" + maxHeaderBytes
                + ", maxPipelinedRequests=" + maxPipelinedRequests
                + (nodeId != null ? ", nodeId=" + nodeId : "") + '}';
    }

    /**
     * Builds a {@link HeraldServerConfig}. Not thread-safe. Each setting may be made once; a bad value is reported
     * at the call that sets it, naming the value. Settings not made keep their defaults.
     */
    public static final class Builder {
        private String host;
        private Integer port;
        private String websocketPath;
        private List<String> allowedOrigins;
        private Integer maxHttpBodyBytes;
        private Integer maxFrameBytes;
        private Integer maxConnections;
        private Integer maxSubscriptionsPerConnection;
        private Duration heartbeatInterval;
        private Duration idleTimeout;
        private Duration handshakeTimeout;
        private Integer outboundQueueLimit;
        private Integer writeBufferLowWaterMark;
        private Integer writeBufferHighWaterMark;
        private SlowConsumerPolicy slowConsumerPolicy;
        private Duration shutdownTimeout;
        private Integer historyLimit;
        private Boolean demoPage;
        private String nodeId;
        private RateLimit requestRateLimit;
        private RateLimit publishRateLimit;
        private RateLimit connectionRateLimit;
        private Integer maxConnectionsPerAddress;
        private Duration requestTimeout;
        private Integer maxRequestLineBytes;
        private Integer maxHeaderBytes;
        private Integer maxPipelinedRequests;

        private Builder() {
        }

        /**
         * The address to listen on (default {@code 0.0.0.0}).
         *
         * @param host a host name or IP literal
         * @return this builder
         * @throws IllegalArgumentException if blank
         * @throws IllegalStateException    if already set
         */
        public Builder host(String host) {
            requireUnset(this.host, "host");
            Objects.requireNonNull(host, "host");
            if (host.isBlank()) {
                throw new IllegalArgumentException("host must not be blank, was '" + host + "'");
            }
            this.host = host;
            return this;
        }

        /**
         * The port to listen on (default 8080).
         *
         * @param port 0 to 65535; 0 picks any free port, reported by {@link HeraldServer#port()}
         * @return this builder
         * @throws IllegalArgumentException if out of range
         * @throws IllegalStateException    if already set
         */
        public Builder port(int port) {
            requireUnset(this.port, "port");
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be in 0..65535, was " + port);
            }
            this.port = port;
            return this;
        }

        /**
         * The path where WebSocket clients upgrade (default {@code /ws}).
         *
         * @param path an absolute path without query, not one of the HTTP routes
         * @return this builder
         * @throws IllegalArgumentException if not an absolute path or taken by an HTTP route
         * @throws IllegalStateException    if already set
         */
        public Builder websocketPath(String path) {
            requireUnset(websocketPath, "websocketPath");
            Objects.requireNonNull(path, "path");
            if (!path.startsWith("/") || path.length() < 2 || path.indexOf('?') >= 0 || path.indexOf('#') >= 0
                    || path.chars().anyMatch(c -> c <= ' ' || c >= 127)) {
                throw new IllegalArgumentException("websocketPath must be an absolute path like '/ws', was '"
                        + path + "'");
            }
            if (path.equals("/publish") || path.equals("/health") || path.equals("/metrics")
                    || path.startsWith("/topics/")) {
                throw new IllegalArgumentException("websocketPath '" + path + "' is taken by an HTTP route");
            }
            websocketPath = path;
            return this;
        }

        /**
         * Browser origins allowed to make requests and open WebSockets, besides the server's own origin.
         * Requests without an {@code Origin} header are always allowed. Entries: an exact origin
         * ({@code http://localhost:3000}), a wildcard subdomain ({@code https://*.example.com}) or {@code *} for
         * any origin. Default: empty, meaning same-origin only.
         *
         * @param origins the allow-list
         * @return this builder
         * @throws IllegalArgumentException naming the first malformed entry
         * @throws IllegalStateException    if already set
         */
        public Builder allowedOrigins(List<String> origins) {
            requireUnset(allowedOrigins, "allowedOrigins");
            List<String> copy = List.copyOf(Objects.requireNonNull(origins, "origins"));
            OriginPolicy.of(copy);
            allowedOrigins = copy;
            return this;
        }

        /**
         * The largest HTTP request body accepted (default 1 MiB).
         *
         * @param bytes at least 1
         * @return this builder
         * @throws IllegalArgumentException if less than 1
         * @throws IllegalStateException    if already set
         */
        public Builder maxHttpBodyBytes(int bytes) {
            requireUnset(maxHttpBodyBytes, "maxHttpBodyBytes");
            maxHttpBodyBytes = requireAtLeast(bytes, 1, "maxHttpBodyBytes");
            return this;
        }

        /**
         * The largest WebSocket frame or message accepted (default 64 KiB).
         *
         * @param bytes at least 125
         * @return this builder
         * @throws IllegalArgumentException if less than 125
         * @throws IllegalStateException    if already set
         */
        public Builder maxFrameBytes(int bytes) {
            requireUnset(maxFrameBytes, "maxFrameBytes");
            maxFrameBytes = requireAtLeast(bytes, 125, "maxFrameBytes");
            return this;
        }

        /**
         * The most connections open at once (default 10,000).
         *
         * @param connections at least 1
         * @return this builder
         * @throws IllegalArgumentException if less than 1
         * @throws IllegalStateException    if already set
         */
        public Builder maxConnections(int connections) {
            requireUnset(maxConnections, "maxConnections");
            maxConnections = requireAtLeast(connections, 1, "maxConnections");
            return this;
        }

        /**
         * The most subscriptions one WebSocket connection may hold (default 100).
         *
         * @param subscriptions at least 1
         * @return this builder
         * @throws IllegalArgumentException if less than 1
         * @throws IllegalStateException    if already set
         */
        public Builder maxSubscriptionsPerConnection(int subscriptions) {
            requireUnset(maxSubscriptionsPerConnection, "maxSubscriptionsPerConnection");
            maxSubscriptionsPerConnection = requireAtLeast(subscriptions, 1, "maxSubscriptionsPerConnection");
            return this;
        }

        /**
         * How often the server pings an open WebSocket connection (default 25 s).
         *
         * @param interval positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         * @throws IllegalStateException    if already set
         */
        public Builder heartbeatInterval(Duration interval) {
            requireUnset(heartbeatInterval, "heartbeatInterval");
            heartbeatInterval = requirePositive(interval, "heartbeatInterval");
            return this;
        }

        /**
         * How long a connection may stay silent before the server closes it (default 60 s).
         *
         * @param timeout positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         * @throws IllegalStateException    if already set
         */
        public Builder idleTimeout(Duration timeout) {
            requireUnset(idleTimeout, "idleTimeout");
            idleTimeout = requirePositive(timeout, "idleTimeout");
            return this;
        }

        /**
         * How long a WebSocket handshake may take, and on a TLS server a TLS handshake too (default 10 s).
         *
         * @param timeout positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         * @throws IllegalStateException    if already set
         */
        public Builder handshakeTimeout(Duration timeout) {
            requireUnset(handshakeTimeout, "handshakeTimeout");
            handshakeTimeout = requirePositive(timeout, "handshakeTimeout");
            return this;
        }

        /**
         * The most messages queued for one connection while its socket is not writable (default 1024).
         *
         * @param messages at least 1
         * @return this builder
         * @throws IllegalArgumentException if less than 1
         * @throws IllegalStateException    if already set
         */
        public Builder outboundQueueLimit(int messages) {
            requireUnset(outboundQueueLimit, "outboundQueueLimit");
            outboundQueueLimit = requireAtLeast(messages, 1, "outboundQueueLimit");
            return this;
        }

        /**
         * The write buffer size below which a connection becomes writable again (default 128 KiB). Must not
         * exceed the high water mark; checked by {@link #build()}.
         *
         * @param bytes at least 1
         * @return this builder
         * @throws IllegalArgumentException if less than 1
         * @throws IllegalStateException    if already set
         */
        public Builder writeBufferLowWaterMark(int bytes) {
            requireUnset(writeBufferLowWaterMark, "writeBufferLowWaterMark");
            writeBufferLowWaterMark = requireAtLeast(bytes, 1, "writeBufferLowWaterMark");
            return this;
        }

        /**
         * The write buffer size above which a connection counts as not writable (default 256 KiB).
         *
         * @param bytes at least 1
         * @return this builder
         * @throws IllegalArgumentException if less than 1
         * @throws IllegalStateException    if already set
         */
        public Builder writeBufferHighWaterMark(int bytes) {
            requireUnset(writeBufferHighWaterMark, "writeBufferHighWaterMark");
            writeBufferHighWaterMark = requireAtLeast(bytes, 1, "writeBufferHighWaterMark");
            return this;
        }

        /**
         * What happens to a WebSocket client that cannot keep up (default {@link SlowConsumerPolicy#DISCONNECT}).
         *
         * @param policy the policy
         * @return this builder
         * @throws IllegalStateException if already set
         */
        public Builder slowConsumerPolicy(SlowConsumerPolicy policy) {
            requireUnset(slowConsumerPolicy, "slowConsumerPolicy");
            slowConsumerPolicy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * How long {@link HeraldServer#close()} waits for in-flight requests and closing sessions (default 10 s).
         *
         * @param timeout zero or positive
         * @return this builder
         * @throws IllegalArgumentException if negative
         * @throws IllegalStateException    if already set
         */
        public Builder shutdownTimeout(Duration timeout) {
            requireUnset(shutdownTimeout, "shutdownTimeout");
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("shutdownTimeout must not be negative, was " + timeout);
            }
            shutdownTimeout = timeout;
            return this;
        }

        /**
         * The default and largest page size of {@code GET /topics/{topic}/history} (default 1000).
         *
         * @param messages at least 1
         * @return this builder
         * @throws IllegalArgumentException if less than 1
         * @throws IllegalStateException    if already set
         */
        public Builder historyLimit(int messages) {
            requireUnset(historyLimit, "historyLimit");
            historyLimit = requireAtLeast(messages, 1, "historyLimit");
            return this;
        }

        /**
         * Serve the demo page at {@code GET /} (default off): one self-contained HTML page that connects to the
         * WebSocket path with the browser's WebSocket API, subscribes and unsubscribes, publishes over the socket
         * or HTTP, shows live messages with their offsets and a topic's history, and resumes from the last offset
         * and epoch it saw after a reconnect. Meant for trying the server out; the standalone server turns it on.
         *
         * @param enabled whether to serve it
         * @return this builder
         * @throws IllegalStateException if already set
         */
        public Builder demoPage(boolean enabled) {
            requireUnset(demoPage, "demoPage");
            demoPage = enabled;
            return this;
        }

        /**
         * Names this server among several that share one engine (default: unnamed). Shown in
         * {@code GET /metrics}.
         *
         * @param nodeId 1 to 64 characters: ASCII letters, digits, {@code . _ -}
         * @return this builder
         * @throws IllegalArgumentException if the name breaks the rule
         * @throws IllegalStateException    if already set
         */
        public Builder nodeId(String nodeId) {
            requireUnset(this.nodeId, "nodeId");
            Objects.requireNonNull(nodeId, "nodeId");
            if (!nodeId.matches("[A-Za-z0-9._-]{1,64}")) {
                throw new IllegalArgumentException("node id must be 1 to 64 ASCII letters, digits, '.', '_' or '-', "
                        + "was '" + nodeId + "'");
            }
            this.nodeId = nodeId;
            return this;
        }

        /**
         * Each connection's limit on requests: every HTTP request, every WebSocket command and ping (default 200 per
         * second, bursts of 400). A request past it gets 429 with {@code Retry-After}, a command an {@code error}
         * frame with code {@code rate_limited}; a connection that goes on regardless is closed.
         *
         * @param limit the rate and burst, or {@link RateLimit#off()}
         * @return this builder
         * @throws IllegalStateException if already set
         */
        public Builder requestRateLimit(RateLimit limit) {
            requireUnset(requestRateLimit, "requestRateLimit");
            requestRateLimit = Objects.requireNonNull(limit, "limit");
            return this;
        }

        /**
         * Each connection's limit on publishes, over HTTP or WebSocket (default 100 per second, bursts of 200).
         *
         * @param limit the rate and burst, or {@link RateLimit#off()}
         * @return this builder
         * @throws IllegalStateException if already set
         */
        public Builder publishRateLimit(RateLimit limit) {
            requireUnset(publishRateLimit, "publishRateLimit");
            publishRateLimit = Objects.requireNonNull(limit, "limit");
            return this;
        }

        /**
         * Each client address's limit on new connections (default 50 per second, bursts of 200). Behind a reverse
         * proxy every client has the proxy's address: raise it or turn it off there.
         *
         * @param limit the rate and burst, or {@link RateLimit#off()}
         * @return this builder
         * @throws IllegalStateException if already set
         */
        public Builder connectionRateLimit(RateLimit limit) {
            requireUnset(connectionRateLimit, "connectionRateLimit");
            connectionRateLimit = Objects.requireNonNull(limit, "limit");
            return this;
        }

        /**
         * The most connections one client address may hold open (default 1000). Behind a reverse proxy every
         * client has the proxy's address: raise it or turn it off there.
         *
         * @param connections at least 0; 0 means no per-address bound
         * @return this builder
         * @throws IllegalArgumentException if negative
         * @throws IllegalStateException    if already set
         */
        public Builder maxConnectionsPerAddress(int connections) {
            requireUnset(maxConnectionsPerAddress, "maxConnectionsPerAddress");
            maxConnectionsPerAddress = requireAtLeast(connections, 0, "maxConnectionsPerAddress");
            return this;
        }

        /**
         * The longest an HTTP request may take to arrive, head and body, from its first byte (default 10 s).
         *
         * @param timeout positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         * @throws IllegalStateException    if already set
         */
        public Builder requestTimeout(Duration timeout) {
            requireUnset(requestTimeout, "requestTimeout");
            requestTimeout = requirePositive(timeout, "requestTimeout");
            return this;
        }

        /**
         * The longest HTTP request line accepted (default 8 KiB).
         *
         * @param bytes at least 64
         * @return this builder
         * @throws IllegalArgumentException if less than 64
         * @throws IllegalStateException    if already set
         */
        public Builder maxRequestLineBytes(int bytes) {
            requireUnset(maxRequestLineBytes, "maxRequestLineBytes");
            maxRequestLineBytes = requireAtLeast(bytes, 64, "maxRequestLineBytes");
            return this;
        }

        /**
         * The most bytes of HTTP headers accepted in one request, all lines together (default 16 KiB).
         *
         * @param bytes at least 256
         * @return this builder
         * @throws IllegalArgumentException if less than 256
         * @throws IllegalStateException    if already set
         */
        public Builder maxHeaderBytes(int bytes) {
            requireUnset(maxHeaderBytes, "maxHeaderBytes");
            maxHeaderBytes = requireAtLeast(bytes, 256, "maxHeaderBytes");
            return this;
        }

        /**
         * The most HTTP requests a connection may have waiting while one is answered (default 16).
         *
         * @param requests at least 1
         * @return this builder
         * @throws IllegalArgumentException if less than 1
         * @throws IllegalStateException    if already set
         */
        public Builder maxPipelinedRequests(int requests) {
            requireUnset(maxPipelinedRequests, "maxPipelinedRequests");
            maxPipelinedRequests = requireAtLeast(requests, 1, "maxPipelinedRequests");
            return this;
        }

        /**
         * Builds the configuration.
         *
         * @return a new immutable configuration
         * @throws IllegalArgumentException if the low water mark exceeds the high water mark
         */
        public HeraldServerConfig build() {
            return new HeraldServerConfig(this);
        }

        private static int requireAtLeast(int value, int min, String name) {
            if (value < min) {
                throw new IllegalArgumentException(name + " must be >= " + min + ", was " + value);
            }
            return value;
        }

        private static Duration requirePositive(Duration value, String name) {
            Objects.requireNonNull(value, name);
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, was " + value);
            }
            return value;
        }

        private static void requireUnset(Object current, String name) {
            if (current != null) {
                throw new IllegalStateException(name + " was already set to " + current);
            }
        }
    }
}
