package dev.herald.bench.load;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The generator's command line. Mutable while parsing, then only read. */
final class LoadOptions {
    static final String USAGE = String.join("\n",
            "usage: LoadGenerator [flags]",
            "  --servers LIST          comma-separated: reference, herald, herald-redis, or a ws:// URL, run one after",
            "                          the other (default reference); herald-redis is --nodes Herald nodes sharing",
            "                          topics through a redis-server the generator starts (subscriber i connects to",
            "                          node i % N, publishers to node 0)",
            "  --nodes N               herald-redis: node processes (default 2; node-death needs 2 or more)",
            "  --server-pid PID        process id of a server given by URL, for its CPU and memory",
            "  --scenario NAME         fanout | many-topics | idle | slow-consumer | reconnect-storm | node-death",
            "                          (default fanout); node-death (herald-redis only) publishes to node 1, kills",
            "                          node 0 after the warm-up and resumes its subscribers on the other nodes",
            "  --subscribers S         subscriber connections (default 100; node-death 1000)",
            "  --topics T              topics; subscriber i follows topic i % T (default: fanout 1, many-topics S)",
            "  --publishers P          publisher connections (default 1)",
            "  --publish-via ws|http   publish action over WebSocket, or POST /publish keep-alive (default ws)",
            "  --rate R                messages published per second, all publishers together (default 1000)",
            "  --payload B             bytes of message data (default 128)",
            "  --warmup SEC            seconds before the measurement window (default 2)",
            "  --duration SEC          seconds of the measurement window (default 5)",
            "  --search                step search for the highest rate with loss < --max-loss and p99 < --max-p99-ms",
            "  --search-start R        first rate of the search (default 100)",
            "  --search-steps N        most runs in a search (default 8)",
            "  --search-attempts N     windows tried per rate before it counts as failed (default 2)",
            "  --max-loss F            loss ratio the search accepts (default 0.001)",
            "  --max-p99-ms MS         p99 the search accepts (default 50)",
            "  --connections C         idle scenario: connections (default 1000)",
            "  --idle-seconds SEC      idle scenario: idle period (default 60)",
            "  --heartbeat-seconds SEC herald: server ping interval (default: the server's)",
            "  --client-threads N      subscriber event loops (default: processors)",
            "  --server-threads N      spawned servers' worker event loops (default: processors)",
            "  --server-jvm ARGS       spawned servers' JVM flags, space-separated (default -Xms1g -Xmx1g)",
            "  --connect-concurrency N connection attempts in flight at once (default 500)",
            "  --drain-seconds SEC     longest wait for deliveries after publishing stops (default 20)",
            "  --json-out FILE         also append each JSON line to FILE");

    List<String> servers = List.of("reference");
    long serverPid = -1;
    String scenario = "fanout";
    int subscribers = 100;
    /** Whether {@code --subscribers} was given, since the default depends on the scenario. */
    boolean subscribersSet;
    int nodes = 2;
    int topics;
    int publishers = 1;
    boolean http;
    double rate = 1000;
    int payload = 128;
    double warmup = 2;
    double duration = 5;
    boolean search;
    double searchStart = 100;
    int searchSteps = 8;
    int searchAttempts = 2;
    double maxLoss = 0.001;
    double maxP99Ms = 50;
    int connections = 1000;
    double idleSeconds = 60;
    int heartbeatSeconds;
    int clientThreads = Runtime.getRuntime().availableProcessors();
    int serverThreads = Runtime.getRuntime().availableProcessors();
    List<String> serverJvm = List.of("-Xms1g", "-Xmx1g");
    int connectConcurrency = 500;
    String jsonOut;
    double drainSeconds = 20;

    static LoadOptions parse(String... args) {
        LoadOptions o = new LoadOptions();
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (flag.equals("--search")) {
                o.search = true;
                continue;
            }
            if (flag.equals("--help") || flag.equals("-h")) {
                throw new IllegalArgumentException(USAGE);
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("missing value after " + flag + "\n" + USAGE);
            }
            String v = args[++i];
            switch (flag) {
                case "--servers" -> o.servers = List.of(v.split(","));
                case "--server-pid" -> o.serverPid = Long.parseLong(v);
                case "--scenario" -> o.scenario = v;
                case "--subscribers" -> {
                    o.subscribers = Integer.parseInt(v);
                    o.subscribersSet = true;
                }
                case "--nodes" -> o.nodes = Integer.parseInt(v);
                case "--topics" -> o.topics = Integer.parseInt(v);
                case "--publishers" -> o.publishers = Integer.parseInt(v);
                case "--publish-via" -> o.http = switch (v) {
                    case "http" -> true;
                    case "ws" -> false;
                    default -> throw new IllegalArgumentException("--publish-via must be ws or http: " + v);
                };
                case "--rate" -> o.rate = Double.parseDouble(v);
                case "--payload" -> o.payload = Integer.parseInt(v);
                case "--warmup" -> o.warmup = Double.parseDouble(v);
                case "--duration" -> o.duration = Double.parseDouble(v);
                case "--search-start" -> o.searchStart = Double.parseDouble(v);
                case "--search-steps" -> o.searchSteps = Integer.parseInt(v);
                case "--search-attempts" -> o.searchAttempts = Integer.parseInt(v);
                case "--max-loss" -> o.maxLoss = Double.parseDouble(v);
                case "--max-p99-ms" -> o.maxP99Ms = Double.parseDouble(v);
                case "--connections" -> o.connections = Integer.parseInt(v);
                case "--idle-seconds" -> o.idleSeconds = Double.parseDouble(v);
                case "--heartbeat-seconds" -> o.heartbeatSeconds = Integer.parseInt(v);
                case "--client-threads" -> o.clientThreads = Integer.parseInt(v);
                case "--server-threads" -> o.serverThreads = Integer.parseInt(v);
                case "--server-jvm" -> o.serverJvm = new ArrayList<>(Arrays.asList(v.trim().split("\\s+")));
                case "--connect-concurrency" -> o.connectConcurrency = Integer.parseInt(v);
                case "--json-out" -> o.jsonOut = v;
                case "--drain-seconds" -> o.drainSeconds = Double.parseDouble(v);
                default -> throw new IllegalArgumentException("unknown flag " + flag + "\n" + USAGE);
            }
        }
        if (!List.of("fanout", "many-topics", "idle", "slow-consumer", "reconnect-storm", "node-death")
                .contains(o.scenario)) {
            throw new IllegalArgumentException("unknown scenario " + o.scenario + "\n" + USAGE);
        }
        if (o.scenario.equals("node-death") && !o.subscribersSet) {
            o.subscribers = 1000;
        }
        if (o.nodes < 1) {
            throw new IllegalArgumentException("--nodes must be at least 1: " + o.nodes);
        }
        if (o.scenario.equals("node-death") && o.nodes < 2 && o.servers.contains("herald-redis")) {
            throw new IllegalArgumentException("node-death kills a node and resumes its subscribers on another: "
                    + "--nodes must be at least 2, was " + o.nodes);
        }
        if (o.subscribers < 1 || o.publishers < 1 || o.rate <= 0 || o.payload < 0 || o.duration <= 0) {
            throw new IllegalArgumentException("subscribers, publishers, rate and duration must be positive");
        }
        if (o.topics == 0) {
            o.topics = o.scenario.equals("many-topics") ? o.subscribers : 1;
        }
        return o;
    }
}
