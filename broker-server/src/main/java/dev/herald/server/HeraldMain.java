package dev.herald.server;

import dev.herald.core.Broker;
import dev.herald.core.BrokerBuilder;
import dev.herald.core.policy.HistoryPolicy;
import dev.herald.netty.HeraldServerConfig;
import dev.herald.netty.RateLimit;
import dev.herald.netty.RawJson;
import dev.herald.netty.SlowConsumerPolicy;
import dev.herald.netty.auth.Authorizer;
import dev.herald.redis.RedisEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import java.io.PrintWriter;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The standalone Herald server: {@code java -jar herald-server.jar [options]}.
 *
 * <p>Every option is a flag and an environment variable of the same name ({@code --max-frame-bytes} and
 * {@code HERALD_MAX_FRAME_BYTES}); a flag wins over its variable. {@code --help} lists them with their defaults.
 * A bad value stops the server before it starts, with a message naming the option and exit status 2; a failure
 * to start (the port is taken, say) exits with status 1. Once listening, the server logs one line with its URL.
 * SIGTERM or Ctrl-C stops it gracefully: no new connections, WebSocket clients are closed with status 1001 so
 * they reconnect elsewhere, and in-flight work gets up to {@code --shutdown-timeout} to finish.
 *
 * <p>To start the same server from code, use {@link #start(String...)}.
 */
@Command(name = "herald-server", mixinStandardHelpOptions = true, versionProvider = HeraldMain.Version.class,
        subcommands = TokenCommand.class,
        sortOptions = false, usageHelpAutoWidth = true,
        header = "Herald: a real-time publish/subscribe server. Publish over HTTP or WebSocket, subscribe over "
                + "WebSocket; topics keep bounded history, so clients resume where they left off.",
        description = {
            "Every option can also be set with the environment variable shown next to it (a flag wins).",
            "Durations take a unit: 500ms, 25s, 5m, 1h, 7d. Sizes are bytes or take a unit: 64KiB, 1MiB, 1GiB.",
            ""},
        footer = {"",
            "Examples:",
            "  java -jar herald-server.jar --port 9000",
            "  java -jar herald-server.jar --allowed-origins http://localhost:3000",
            "  java -jar herald-server.jar --port 8443 --tls-cert-file cert.pem --tls-key-file key.pem",
            "  HERALD_PORT=9000 HERALD_HISTORY_COUNT=100 java -jar herald-server.jar",
            "  java -jar herald-server.jar --redis redis://localhost:6379 --node-id a",
            "",
            "Each connection uses one file descriptor: raise the limit (ulimit -n 65536) before serving many clients."})
public final class HeraldMain implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(HeraldMain.class);

    // The built-in defaults, each written once and shown in --help. Server settings match HeraldServerConfig's.
    static final String HOST = "0.0.0.0";
    static final String PORT = "8080";
    static final String WEBSOCKET_PATH = "/ws";
    static final String HISTORY_COUNT = "1000";
    static final String HISTORY_AGE = "0";
    static final String HISTORY_BYTES = "16MiB";
    static final String MAX_TOPICS = "100000";
    static final String SLOW_CONSUMER_POLICY = "DISCONNECT";
    static final String OUTBOUND_QUEUE_LIMIT = "1024";
    static final String WRITE_BUFFER_LOW = "128KiB";
    static final String WRITE_BUFFER_HIGH = "256KiB";
    static final String HEARTBEAT_INTERVAL = "25s";
    static final String IDLE_TIMEOUT = "60s";
    static final String HANDSHAKE_TIMEOUT = "10s";
    static final String MAX_CONNECTIONS = "10000";
    static final String MAX_FRAME_BYTES = "64KiB";
    static final String MAX_SUBSCRIPTIONS = "100";
    static final String MAX_HTTP_BODY_BYTES = "1MiB";
    static final String MAX_CONNECTIONS_PER_ADDRESS = "1000";
    static final String CONNECTION_RATE = "50";
    static final String CONNECTION_BURST = "200";
    static final String REQUEST_RATE = "200";
    static final String REQUEST_BURST = "400";
    static final String PUBLISH_RATE = "100";
    static final String PUBLISH_BURST = "200";
    static final String REQUEST_TIMEOUT = "10s";
    static final String MAX_REQUEST_LINE_BYTES = "8KiB";
    static final String MAX_HEADER_BYTES = "16KiB";
    static final String MAX_PIPELINED_REQUESTS = "16";
    static final String HISTORY_PAGE_LIMIT = "1000";
    static final String SHUTDOWN_TIMEOUT = "10s";
    static final String DEMO_PAGE = "true";
    static final String REDIS_CLUSTER = "false";
    static final String REDIS_KEY_PREFIX = "herald";
    static final String REDIS_TOPIC_TTL = "30d";
    static final String REDIS_TIMEOUT = "2s";

    @Spec
    CommandSpec spec;

    @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = "${env:HERALD_HOST:-" + HOST + "}",
            description = "Address to listen on; 0.0.0.0 is every interface. [HERALD_HOST, default " + HOST + "]")
    String host;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "${env:HERALD_PORT:-" + PORT + "}",
            description = "Port to listen on; 0 picks any free port. [HERALD_PORT, default " + PORT + "]")
    int port;

    @Option(names = "--websocket-path", paramLabel = "PATH",
            defaultValue = "${env:HERALD_WEBSOCKET_PATH:-" + WEBSOCKET_PATH + "}",
            description = "Path where WebSocket clients connect. [HERALD_WEBSOCKET_PATH, default " + WEBSOCKET_PATH
                    + "]")
    String websocketPath;

    @Option(names = "--allowed-origins", paramLabel = "ORIGINS", defaultValue = "${env:HERALD_ALLOWED_ORIGINS:-}",
            description = "Comma-separated browser origins allowed besides the server's own: exact "
                    + "(http://localhost:3000), wildcard subdomain (https://*.example.com) or * for any. Requests "
                    + "without an Origin header (curl, servers) are always allowed. [HERALD_ALLOWED_ORIGINS, "
                    + "default: none, same-origin only]")
    String allowedOrigins;

    @Option(names = "--tls-cert-file", paramLabel = "FILE", defaultValue = "${env:HERALD_TLS_CERT_FILE:-}",
            description = "Serve HTTPS and WSS, on the same port and paths, with this PEM certificate (a chain: the "
                    + "server's certificate first); needs --tls-key-file. [HERALD_TLS_CERT_FILE, default: none, plain "
                    + "HTTP]")
    String tlsCertFile;

    @Option(names = "--tls-key-file", paramLabel = "FILE", defaultValue = "${env:HERALD_TLS_KEY_FILE:-}",
            description = "The PEM private key of --tls-cert-file: PKCS#8 (-----BEGIN PRIVATE KEY-----), without a "
                    + "passphrase. [HERALD_TLS_KEY_FILE, default: none]")
    String tlsKeyFile;

    @Option(names = "--history-count", paramLabel = "N", defaultValue = "${env:HERALD_HISTORY_COUNT:-"
            + HISTORY_COUNT + "}",
            description = "Messages each topic keeps for history and resume; 0 keeps none. [HERALD_HISTORY_COUNT, "
                    + "default " + HISTORY_COUNT + "]")
    int historyCount;

    @Option(names = "--history-age", paramLabel = "DURATION", converter = OptionValues.DurationConverter.class,
            defaultValue = "${env:HERALD_HISTORY_AGE:-" + HISTORY_AGE + "}",
            description = "Longest a message is kept in history; 0 means no age limit. [HERALD_HISTORY_AGE, "
                    + "default 0]")
    Duration historyAge;

    @Option(names = "--history-bytes", paramLabel = "SIZE", converter = OptionValues.SizeConverter.class,
            defaultValue = "${env:HERALD_HISTORY_BYTES:-" + HISTORY_BYTES + "}",
            description = "Most payload bytes each topic keeps in history; 0 means no byte limit. "
                    + "[HERALD_HISTORY_BYTES, default " + HISTORY_BYTES + "]")
    long historyBytes;

    @Option(names = "--max-topics", paramLabel = "N", defaultValue = "${env:HERALD_MAX_TOPICS:-" + MAX_TOPICS + "}",
            description = "Most topics that may exist at once; publishing to a new topic past it is refused. "
                    + "[HERALD_MAX_TOPICS, default " + MAX_TOPICS + "]")
    int maxTopics;

    @Option(names = "--slow-consumer-policy", paramLabel = "POLICY",
            defaultValue = "${env:HERALD_SLOW_CONSUMER_POLICY:-" + SLOW_CONSUMER_POLICY + "}",
            description = "What happens to a WebSocket client that cannot keep up: DISCONNECT closes it with 1013 "
                    + "so it resumes from its last offset; DROP skips messages and sends a gap frame. "
                    + "[HERALD_SLOW_CONSUMER_POLICY, default " + SLOW_CONSUMER_POLICY + "]")
    SlowConsumerPolicy slowConsumerPolicy;

    @Option(names = "--outbound-queue-limit", paramLabel = "N",
            defaultValue = "${env:HERALD_OUTBOUND_QUEUE_LIMIT:-" + OUTBOUND_QUEUE_LIMIT + "}",
            description = "Messages queued per connection while its socket is not writable, before the slow-"
                    + "consumer policy applies. [HERALD_OUTBOUND_QUEUE_LIMIT, default " + OUTBOUND_QUEUE_LIMIT + "]")
    int outboundQueueLimit;

    @Option(names = "--write-buffer-low", paramLabel = "SIZE", converter = OptionValues.IntSizeConverter.class,
            defaultValue = "${env:HERALD_WRITE_BUFFER_LOW:-" + WRITE_BUFFER_LOW + "}",
            description = "Socket write buffer level below which a connection is writable again. "
                    + "[HERALD_WRITE_BUFFER_LOW, default " + WRITE_BUFFER_LOW + "]")
    int writeBufferLow;

    @Option(names = "--write-buffer-high", paramLabel = "SIZE", converter = OptionValues.IntSizeConverter.class,
            defaultValue = "${env:HERALD_WRITE_BUFFER_HIGH:-" + WRITE_BUFFER_HIGH + "}",
            description = "Socket write buffer level above which a connection stops being written to and its "
                    + "messages queue. [HERALD_WRITE_BUFFER_HIGH, default " + WRITE_BUFFER_HIGH + "]")
    int writeBufferHigh;

    @Option(names = "--heartbeat-interval", paramLabel = "DURATION",
            converter = OptionValues.DurationConverter.class,
            defaultValue = "${env:HERALD_HEARTBEAT_INTERVAL:-" + HEARTBEAT_INTERVAL + "}",
            description = "How often the server pings each WebSocket client. [HERALD_HEARTBEAT_INTERVAL, default "
                    + HEARTBEAT_INTERVAL + "]")
    Duration heartbeatInterval;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", converter = OptionValues.DurationConverter.class,
            defaultValue = "${env:HERALD_IDLE_TIMEOUT:-" + IDLE_TIMEOUT + "}",
            description = "Connections silent for longer are closed. [HERALD_IDLE_TIMEOUT, default " + IDLE_TIMEOUT
                    + "]")
    Duration idleTimeout;

    @Option(names = "--handshake-timeout", paramLabel = "DURATION",
            converter = OptionValues.DurationConverter.class,
            defaultValue = "${env:HERALD_HANDSHAKE_TIMEOUT:-" + HANDSHAKE_TIMEOUT + "}",
            description = "Longest a WebSocket handshake may take, and with TLS each connection's TLS handshake. "
                    + "[HERALD_HANDSHAKE_TIMEOUT, default "
                    + HANDSHAKE_TIMEOUT + "]")
    Duration handshakeTimeout;

    @Option(names = "--max-connections", paramLabel = "N",
            defaultValue = "${env:HERALD_MAX_CONNECTIONS:-" + MAX_CONNECTIONS + "}",
            description = "Most open connections; more are refused with 503. [HERALD_MAX_CONNECTIONS, default "
                    + MAX_CONNECTIONS + "]")
    int maxConnections;

    @Option(names = "--max-frame-bytes", paramLabel = "SIZE", converter = OptionValues.IntSizeConverter.class,
            defaultValue = "${env:HERALD_MAX_FRAME_BYTES:-" + MAX_FRAME_BYTES + "}",
            description = "Largest WebSocket frame accepted from a client; larger ones close the connection with "
                    + "1009. [HERALD_MAX_FRAME_BYTES, default " + MAX_FRAME_BYTES + "]")
    int maxFrameBytes;

    @Option(names = "--max-subscriptions-per-connection", paramLabel = "N",
            defaultValue = "${env:HERALD_MAX_SUBSCRIPTIONS_PER_CONNECTION:-" + MAX_SUBSCRIPTIONS + "}",
            description = "Most topics one WebSocket connection may subscribe to. "
                    + "[HERALD_MAX_SUBSCRIPTIONS_PER_CONNECTION, default " + MAX_SUBSCRIPTIONS + "]")
    int maxSubscriptionsPerConnection;

    @Option(names = "--max-connections-per-address", paramLabel = "N",
            defaultValue = "${env:HERALD_MAX_CONNECTIONS_PER_ADDRESS:-" + MAX_CONNECTIONS_PER_ADDRESS + "}",
            description = "Most open connections from one client address (IPv6: one /64); more are reset at once; "
                    + "0 means no per-address limit (behind a reverse proxy, every client has its address). "
                    + "[HERALD_MAX_CONNECTIONS_PER_ADDRESS, default " + MAX_CONNECTIONS_PER_ADDRESS + "]")
    int maxConnectionsPerAddress;

    @Option(names = "--connection-rate", paramLabel = "PER_SECOND",
            defaultValue = "${env:HERALD_CONNECTION_RATE:-" + CONNECTION_RATE + "}",
            description = "New connections per second from one client address; more are reset at once; 0 turns "
                    + "the limit off. [HERALD_CONNECTION_RATE, default " + CONNECTION_RATE + "]")
    double connectionRate;

    @Option(names = "--connection-burst", paramLabel = "N",
            defaultValue = "${env:HERALD_CONNECTION_BURST:-" + CONNECTION_BURST + "}",
            description = "New connections one client address may open at once, above --connection-rate. "
                    + "[HERALD_CONNECTION_BURST, default " + CONNECTION_BURST + "]")
    int connectionBurst;

    @Option(names = "--request-rate", paramLabel = "PER_SECOND",
            defaultValue = "${env:HERALD_REQUEST_RATE:-" + REQUEST_RATE + "}",
            description = "Requests per second per connection: HTTP requests, WebSocket commands and pings; more get "
                    + "429 or a rate_limited error; 0 turns the limit off. [HERALD_REQUEST_RATE, default "
                    + REQUEST_RATE + "]")
    double requestRate;

    @Option(names = "--request-burst", paramLabel = "N",
            defaultValue = "${env:HERALD_REQUEST_BURST:-" + REQUEST_BURST + "}",
            description = "Requests one connection may send at once, above --request-rate. [HERALD_REQUEST_BURST, "
                    + "default " + REQUEST_BURST + "]")
    int requestBurst;

    @Option(names = "--publish-rate", paramLabel = "PER_SECOND",
            defaultValue = "${env:HERALD_PUBLISH_RATE:-" + PUBLISH_RATE + "}",
            description = "Publishes per second per connection, over HTTP or WebSocket; more get 429 or a "
                    + "rate_limited error; 0 turns the limit off. [HERALD_PUBLISH_RATE, default " + PUBLISH_RATE + "]")
    double publishRate;

    @Option(names = "--publish-burst", paramLabel = "N",
            defaultValue = "${env:HERALD_PUBLISH_BURST:-" + PUBLISH_BURST + "}",
            description = "Publishes one connection may send at once, above --publish-rate. [HERALD_PUBLISH_BURST, "
                    + "default " + PUBLISH_BURST + "]")
    int publishBurst;

    @Option(names = "--request-timeout", paramLabel = "DURATION", converter = OptionValues.DurationConverter.class,
            defaultValue = "${env:HERALD_REQUEST_TIMEOUT:-" + REQUEST_TIMEOUT + "}",
            description = "Longest an HTTP request may take to arrive, head and body, from its first byte; a "
                    + "slower one gets 408 and its connection is closed. [HERALD_REQUEST_TIMEOUT, default "
                    + REQUEST_TIMEOUT + "]")
    Duration requestTimeout;

    @Option(names = "--max-request-line-bytes", paramLabel = "SIZE",
            converter = OptionValues.IntSizeConverter.class,
            defaultValue = "${env:HERALD_MAX_REQUEST_LINE_BYTES:-" + MAX_REQUEST_LINE_BYTES + "}",
            description = "Longest HTTP request line (method, path with query, version); a longer one gets 414. "
                    + "[HERALD_MAX_REQUEST_LINE_BYTES, default " + MAX_REQUEST_LINE_BYTES + "]")
    int maxRequestLineBytes;

    @Option(names = "--max-header-bytes", paramLabel = "SIZE", converter = OptionValues.IntSizeConverter.class,
            defaultValue = "${env:HERALD_MAX_HEADER_BYTES:-" + MAX_HEADER_BYTES + "}",
            description = "Most bytes of HTTP headers in one request, all lines together; more get 431. "
                    + "[HERALD_MAX_HEADER_BYTES, default " + MAX_HEADER_BYTES + "]")
    int maxHeaderBytes;

    @Option(names = "--max-pipelined-requests", paramLabel = "N",
            defaultValue = "${env:HERALD_MAX_PIPELINED_REQUESTS:-" + MAX_PIPELINED_REQUESTS + "}",
            description = "Most HTTP requests one connection may have waiting while one is answered; one more "
                    + "closes it. [HERALD_MAX_PIPELINED_REQUESTS, default " + MAX_PIPELINED_REQUESTS + "]")
    int maxPipelinedRequests;

    @Option(names = "--max-http-body-bytes", paramLabel = "SIZE", converter = OptionValues.IntSizeConverter.class,
            defaultValue = "${env:HERALD_MAX_HTTP_BODY_BYTES:-" + MAX_HTTP_BODY_BYTES + "}",
            description = "Largest HTTP request body accepted; larger ones get 413. [HERALD_MAX_HTTP_BODY_BYTES, "
                    + "default " + MAX_HTTP_BODY_BYTES + "]")
    int maxHttpBodyBytes;

    @Option(names = "--history-page-limit", paramLabel = "N",
            defaultValue = "${env:HERALD_HISTORY_PAGE_LIMIT:-" + HISTORY_PAGE_LIMIT + "}",
            description = "Most messages one GET /topics/{topic}/history returns. [HERALD_HISTORY_PAGE_LIMIT, "
                    + "default " + HISTORY_PAGE_LIMIT + "]")
    int historyPageLimit;

    @Option(names = "--shutdown-timeout", paramLabel = "DURATION", converter = OptionValues.DurationConverter.class,
            defaultValue = "${env:HERALD_SHUTDOWN_TIMEOUT:-" + SHUTDOWN_TIMEOUT + "}",
            description = "Longest a graceful stop waits for connections to close. [HERALD_SHUTDOWN_TIMEOUT, "
                    + "default " + SHUTDOWN_TIMEOUT + "]")
    Duration shutdownTimeout;

    @Option(names = "--demo-page", negatable = true, arity = "0..1", fallbackValue = "true", paramLabel = "BOOLEAN",
            defaultValue = "${env:HERALD_DEMO_PAGE:-" + DEMO_PAGE + "}",
            description = "Serve the demo page at GET / (--no-demo-page turns it off). [HERALD_DEMO_PAGE, default "
                    + DEMO_PAGE + "]")
    boolean demoPage;

    @Option(names = "--redis", paramLabel = "URI", defaultValue = "${env:HERALD_REDIS:-}",
            description = "Share topics, offsets and history with other nodes through Redis: redis://host:port "
                    + "(rediss:// for TLS, redis://user:password@host:port for credentials); with --redis-cluster, "
                    + "comma-separated seed URIs. Without it the server keeps everything in memory. "
                    + "[HERALD_REDIS, default: none, in memory]")
    String redis;

    @Option(names = "--redis-cluster", negatable = true, arity = "0..1", fallbackValue = "true",
            paramLabel = "BOOLEAN", defaultValue = "${env:HERALD_REDIS_CLUSTER:-" + REDIS_CLUSTER + "}",
            description = "The --redis URIs are seeds of a Redis Cluster. [HERALD_REDIS_CLUSTER, default "
                    + REDIS_CLUSTER + "]")
    boolean redisCluster;

    @Option(names = "--redis-key-prefix", paramLabel = "PREFIX",
            defaultValue = "${env:HERALD_REDIS_KEY_PREFIX:-" + REDIS_KEY_PREFIX + "}",
            description = "Prefix of Herald's keys and channels in Redis, so that deployments can share one. "
                    + "[HERALD_REDIS_KEY_PREFIX, default " + REDIS_KEY_PREFIX + "]")
    String redisKeyPrefix;

    @Option(names = "--redis-topic-ttl", paramLabel = "DURATION", converter = OptionValues.DurationConverter.class,
            defaultValue = "${env:HERALD_REDIS_TOPIC_TTL:-" + REDIS_TOPIC_TTL + "}",
            description = "How long a topic idle in Redis keeps its history, epoch and offsets. "
                    + "[HERALD_REDIS_TOPIC_TTL, default " + REDIS_TOPIC_TTL + "]")
    Duration redisTopicTtl;

    @Option(names = "--redis-timeout", paramLabel = "DURATION", converter = OptionValues.DurationConverter.class,
            defaultValue = "${env:HERALD_REDIS_TIMEOUT:-" + REDIS_TIMEOUT + "}",
            description = "Longest a connection to Redis or a command may take; a publish Redis does not answer "
                    + "in time gets 503 engine_unavailable. [HERALD_REDIS_TIMEOUT, default " + REDIS_TIMEOUT + "]")
    Duration redisTimeout;

    @Option(names = "--node-id", paramLabel = "NAME", defaultValue = "${env:HERALD_NODE_ID:-}",
            description = "This node's name in logs and metrics. [HERALD_NODE_ID, default: node- and a random "
                    + "suffix]")
    String nodeId;

    @Mixin
    AuthOptions auth = new AuthOptions();

    /** Creates the command; picocli fills in the options. */
    HeraldMain() {
    }

    /**
     * Runs the server until the process is stopped, or prints help or an error and exits.
     *
     * @param args the command-line options; {@code --help} lists them
     */
    public static void main(String[] args) {
        int status = commandLine(new PrintWriter(System.out, true), new PrintWriter(System.err, true))
                .execute(args);
        System.exit(status);
    }

    /**
     * Starts a standalone server from code, configured exactly as {@code main} would be by the same options and
     * the {@code HERALD_*} environment variables. The caller stops it with {@link StandaloneServer#close()}.
     *
     * @param args command-line options, for example {@code "--port", "0"}
     * @return the started server
     * @throws IllegalArgumentException naming the option, if an option or its value is invalid
     * @throws IllegalStateException if the server cannot listen (the port is taken, say)
     */
    public static StandaloneServer start(String... args) {
        HeraldMain main = new HeraldMain();
        CommandLine cl = commandLine(main, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
        try {
            cl.parseArgs(args);
            if (cl.isUsageHelpRequested() || cl.isVersionHelpRequested()) {
                throw new IllegalArgumentException("--help and --version do not start a server");
            }
            return main.startServer();
        } catch (ParameterException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        return commandLine(new HeraldMain(), out, err);
    }

    private static CommandLine commandLine(HeraldMain main, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(main)
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setOut(out)
                .setErr(err);
        cl.setParameterExceptionHandler((e, args) -> {
            CommandLine failed = e.getCommandLine();
            failed.getErr().println("herald-server: " + e.getMessage());
            failed.getErr().println("Run with --help to see every option.");
            return failed.getCommandSpec().exitCodeOnInvalidInput();
        });
        cl.setExecutionExceptionHandler((e, failed, parseResult) -> {
            failed.getErr().println("herald-server: could not start: " + describe(e));
            return failed.getCommandSpec().exitCodeOnExecutionException();
        });
        return cl;
    }

    /** Starts the server, then waits until a shutdown hook has stopped it. */
    @Override
    public Integer call() throws InterruptedException {
        StandaloneServer server = startServer();
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "herald-shutdown"));
        server.awaitClosed();
        return 0;
    }

    StandaloneServer startServer() {
        HeraldServerConfig config = serverConfig();
        Authorizer authorizer = auth.authorizer();
        String metricsToken = auth.metricsToken();
        SslProvider tlsProvider = TlsFiles.provider();
        SslContext sslContext = sslContext(tlsProvider);
        RedisEngine<RawJson> engine = redisEngine(config.nodeId());
        Broker<RawJson> broker;
        try {
            broker = newBroker(engine);
        } catch (ParameterException | IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            if (engine == null) {
                throw e;
            }
            throw new IllegalStateException("could not connect to Redis at " + redis.strip(), e);
        }
        StandaloneServer server = StandaloneServer.start(config, broker, engine == null ? null : engine::status,
                builder -> {
                    builder.authorizer(authorizer);
                    if (metricsToken != null) {
                        builder.metricsToken(metricsToken);
                    }
                    if (sslContext != null) {
                        builder.sslContext(sslContext);
                    }
                });
        String tls = sslContext == null ? "" : "; TLS by " + TlsFiles.describe(tlsProvider);
        if (engine == null) {
            LOG.info("Herald listening on {} (WebSocket {}{})", server.httpUri(), server.webSocketUri(), tls);
        } else {
            LOG.info("Herald node {} listening on {} (WebSocket {}{}), sharing topics through Redis",
                    config.nodeId(), server.httpUri(), server.webSocketUri(), tls);
        }
        if (authorizer.enabled()) {
            LOG.info("Authentication is on: clients need a token for what anonymous clients may not do ({})",
                    authorizer);
        } else {
            LOG.info("Authentication is off: every client may subscribe to, publish to and read every topic "
                    + "(see --auth-hmac-secret-file)");
        }
        return server;
    }

    /**
     * The TLS context {@code --tls-cert-file} and {@code --tls-key-file} ask for, or {@code null} for plain HTTP.
     *
     * @param provider the TLS implementation to use
     * @return the context, or {@code null} if neither option is given
     */
    SslContext sslContext(SslProvider provider) {
        boolean cert = !tlsCertFile.isBlank();
        boolean key = !tlsKeyFile.isBlank();
        if (cert != key) {
            String given = cert ? TlsFiles.CERT_OPTION : TlsFiles.KEY_OPTION;
            String missing = cert ? TlsFiles.KEY_OPTION : TlsFiles.CERT_OPTION;
            throw new ParameterException(spec.commandLine(), "Option '" + given + "' needs '" + missing
                    + "' too: TLS takes the certificate and its private key together");
        }
        if (!cert) {
            return null;
        }
        try {
            return TlsFiles.load(path(TlsFiles.CERT_OPTION, tlsCertFile), path(TlsFiles.KEY_OPTION, tlsKeyFile),
                    provider);
        } catch (TlsFiles.InvalidFiles e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private Path path(String option, String value) {
        try {
            return Path.of(value.strip());
        } catch (InvalidPathException e) {
            throw new ParameterException(spec.commandLine(),
                    "Invalid value for option '" + option + "': '" + value + "' is not a file name");
        }
    }

    /** The Redis engine the options ask for, or {@code null} to keep everything in memory. */
    RedisEngine<RawJson> redisEngine(String node) {
        List<String> uris = Arrays.stream(redis.split(",")).map(String::strip).filter(u -> !u.isEmpty()).toList();
        if (uris.isEmpty()) {
            if (redisCluster) {
                throw new ParameterException(spec.commandLine(),
                        "Option '--redis-cluster' needs the cluster's seed URIs in '--redis'");
            }
            return null;
        }
        if (uris.size() > 1 && !redisCluster) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--redis': several URIs need "
                    + "--redis-cluster; a single Redis server takes one");
        }
        RedisEngine.Builder<RawJson> b = RedisEngine.builder(RawJsonCodec.INSTANCE);
        set("--redis", () -> b.uris(uris));
        b.cluster(redisCluster);
        set("--redis-key-prefix", () -> b.keyPrefix(redisKeyPrefix));
        set("--redis-topic-ttl", () -> b.topicTtl(redisTopicTtl));
        if (historyCount > 0 && historyAge.compareTo(redisTopicTtl) > 0) {
            throw new ParameterException(spec.commandLine(), "Invalid values for options '--history-age' and "
                    + "'--redis-topic-ttl': history kept for " + historyAge + " would outlive a topic's keys in Redis ("
                    + redisTopicTtl + ")");
        }
        set("--redis-timeout", () -> b.commandTimeout(redisTimeout));
        set("--redis-timeout", () -> b.connectTimeout(redisTimeout));
        b.nodeId(node);
        return b.build();
    }

    /** The node id: as given, or a random one. */
    String nodeId() {
        return nodeId.isBlank() ? "node-" + Long.toString(ThreadLocalRandom.current().nextLong() >>> 28, 36)
                : nodeId.strip();
    }

    /** The network settings, each checked by the config builder and reported under its option's name. */
    HeraldServerConfig serverConfig() {
        HeraldServerConfig.Builder b = HeraldServerConfig.builder();
        set("--host", () -> b.host(host));
        set("--port", () -> b.port(port));
        set("--websocket-path", () -> b.websocketPath(websocketPath));
        set("--allowed-origins", () -> b.allowedOrigins(origins()));
        set("--slow-consumer-policy", () -> b.slowConsumerPolicy(slowConsumerPolicy));
        set("--outbound-queue-limit", () -> b.outboundQueueLimit(outboundQueueLimit));
        set("--write-buffer-low", () -> b.writeBufferLowWaterMark(writeBufferLow));
        set("--write-buffer-high", () -> b.writeBufferHighWaterMark(writeBufferHigh));
        set("--heartbeat-interval", () -> b.heartbeatInterval(heartbeatInterval));
        set("--idle-timeout", () -> b.idleTimeout(idleTimeout));
        set("--handshake-timeout", () -> b.handshakeTimeout(handshakeTimeout));
        set("--max-connections", () -> b.maxConnections(maxConnections));
        set("--max-frame-bytes", () -> b.maxFrameBytes(maxFrameBytes));
        set("--max-subscriptions-per-connection",
                () -> b.maxSubscriptionsPerConnection(maxSubscriptionsPerConnection));
        set("--max-http-body-bytes", () -> b.maxHttpBodyBytes(maxHttpBodyBytes));
        set("--max-connections-per-address", () -> b.maxConnectionsPerAddress(maxConnectionsPerAddress));
        b.connectionRateLimit(rateLimit("--connection-rate", connectionRate, "--connection-burst", connectionBurst));
        b.requestRateLimit(rateLimit("--request-rate", requestRate, "--request-burst", requestBurst));
        b.publishRateLimit(rateLimit("--publish-rate", publishRate, "--publish-burst", publishBurst));
        set("--request-timeout", () -> b.requestTimeout(requestTimeout));
        set("--max-request-line-bytes", () -> b.maxRequestLineBytes(maxRequestLineBytes));
        set("--max-header-bytes", () -> b.maxHeaderBytes(maxHeaderBytes));
        set("--max-pipelined-requests", () -> b.maxPipelinedRequests(maxPipelinedRequests));
        set("--history-page-limit", () -> b.historyLimit(historyPageLimit));
        set("--shutdown-timeout", () -> b.shutdownTimeout(shutdownTimeout));
        set("--demo-page", () -> b.demoPage(demoPage));
        String node = nodeId();
        set("--node-id", () -> b.nodeId(node));
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            // The only cross-setting rule: the low water mark may not pass the high one.
            throw new ParameterException(spec.commandLine(),
                    "Invalid values for options '--write-buffer-low' and '--write-buffer-high': " + e.getMessage());
        }
    }

    /** A rate and its burst from two options; a rate of 0 is no limit, and then the burst is not used. */
    private RateLimit rateLimit(String rateOption, double rate, String burstOption, int burst) {
        if (rate == 0) {
            return RateLimit.off();
        }
        if (!(rate > 0)) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '" + rateOption
                    + "': must be 0 (no limit) or more, was " + rate);
        }
        requireAtLeast(burstOption, burst, 1);
        try {
            return RateLimit.perSecond(rate, burst);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "Invalid values for options '" + rateOption + "' and '"
                    + burstOption + "': " + e.getMessage());
        }
    }

    /** The broker's history and topic limits. */
    HistoryPolicy historyPolicy() {
        requireAtLeast("--history-count", historyCount, 0);
        requireAtLeast("--history-bytes", historyBytes, 0);
        if (historyCount == 0) {
            return HistoryPolicy.none();
        }
        HistoryPolicy policy = HistoryPolicy.lastN(historyCount);
        if (!historyAge.isZero()) {
            policy = policy.and(HistoryPolicy.maxAge(historyAge));
        }
        if (historyBytes > 0) {
            policy = policy.and(HistoryPolicy.maxBytes(historyBytes));
        }
        return policy;
    }

    private Broker<RawJson> newBroker(RedisEngine<RawJson> engine) {
        HistoryPolicy history = historyPolicy();
        requireAtLeast("--max-topics", maxTopics, 1);
        BrokerBuilder<RawJson> builder = Broker.<RawJson>builder()
                .history(history)
                .payloadWeigher(RawJson::size)
                .maxTopics(maxTopics);
        if (engine != null) {
            builder.engine(engine);
        }
        return builder.build();
    }

    List<String> origins() {
        return Arrays.stream(allowedOrigins.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    private void requireAtLeast(String option, long value, long min) {
        if (value < min) {
            throw new ParameterException(spec.commandLine(),
                    "Invalid value for option '" + option + "': must be at least " + min + ", was " + value);
        }
    }

    private void set(String option, Runnable setter) {
        try {
            setter.run();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(),
                    "Invalid value for option '" + option + "': " + e.getMessage());
        }
    }

    /** The messages of an exception and its causes, without a stack trace: what an operator needs to act. */
    static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
            if (sb.indexOf(message) < 0) {
                if (sb.length() > 0) {
                    sb.append(": ");
                }
                sb.append(message);
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return sb.toString();
    }

    /** Reads the version from the jar's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = HeraldMain.class.getPackage().getImplementationVersion();
            return new String[] {"Herald server " + (version != null ? version : "(development build)")};
        }
    }
}
