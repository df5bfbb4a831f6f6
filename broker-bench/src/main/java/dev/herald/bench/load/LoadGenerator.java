package dev.herald.bench.load;

import dev.herald.bench.reference.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.HdrHistogram.Histogram;

/**
 * The network load generator. Runs one scenario against one or more servers, each in its own process (spawned
 * from this jar, or given by URL), and prints one JSON line per run and then a table, with Herald/reference ratios
 * when both servers ran. {@code --help} lists the flags; {@code docs/BENCHMARKS.md} has the commands behind the
 * published figures.
 *
 * <p>Every run uses fresh connections and fresh topic names, so nothing left over from an earlier run (a backlog,
 * retained history) can leak into its figures.
 */
public final class LoadGenerator {
    private static final AtomicLong RUNS = new AtomicLong();
    private static final String PROCESS_TOKEN = Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
    /** Messages of each topic the Herald nodes keep as history, and so the longest gap a resume can fill. */
    private static final int HISTORY_MESSAGES = 1000;
    /** Connection attempts a subscriber whose connection dropped in a node-death run makes before it gives up. */
    private static final int RESUME_ATTEMPTS = 20;

    private final LoadOptions options;
    private final PrintStream out;
    private final ClientLoops loops;

    private LoadGenerator(LoadOptions options, PrintStream out, ClientLoops loops) {
        this.options = options;
        this.out = out;
        this.loops = loops;
    }

    /**
     * Runs the generator.
     *
     * @param args flags; {@code --help} lists them
     * @throws Exception if a server cannot be started or a run fails unexpectedly
     */
    public static void main(String[] args) throws Exception {
        LoadOptions options;
        try {
            options = LoadOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        List<RunResult> results = execute(options, System.out);
        System.out.println();
        System.out.print(table(results));
        System.exit(0);
    }

    /** Runs what the options ask for, printing each run's JSON line to {@code out} as it finishes. */
    static List<RunResult> execute(LoadOptions options, PrintStream out) throws Exception {
        List<RunResult> results = new ArrayList<>();
        try (ClientLoops loops = new ClientLoops(options.clientThreads)) {
            LoadGenerator generator = new LoadGenerator(options, out, loops);
            for (String server : options.servers) {
                try (ServerHandle handle = generator.open(server)) {
                    results.addAll(generator.runScenario(server, handle));
                }
            }
        }
        return results;
    }

    private ServerHandle open(String server) throws IOException, InterruptedException {
        if (server.startsWith("ws://")) {
            return new ServerHandle(server, URI.create(server), options.serverPid);
        }
        List<String> args = new ArrayList<>(List.of("--port", "0", "--threads",
                Integer.toString(options.serverThreads)));
        String main;
        switch (server) {
            case "reference" -> main = "dev.herald.bench.reference.ReferenceServer";
            case "herald" -> {
                main = "dev.herald.bench.load.HeraldServerMain";
                args.addAll(List.of("--max-connections", Integer.toString(Math.max(25_000,
                        options.connections + 1000))));
                if (options.heartbeatSeconds > 0) {
                    args.addAll(List.of("--heartbeat-seconds", Integer.toString(options.heartbeatSeconds)));
                }
            }
            case "herald-redis" -> {
                args.addAll(List.of("--max-connections", Integer.toString(Math.max(25_000,
                        options.connections + 1000))));
                if (options.heartbeatSeconds > 0) {
                    args.addAll(List.of("--heartbeat-seconds", Integer.toString(options.heartbeatSeconds)));
                }
                log("starting " + server + ": redis-server and " + options.nodes + " nodes");
                return ClusterHandle.start(server, options.nodes, "dev.herald.bench.load.HeraldRedisNodeMain",
                        options.serverJvm, args);
            }
            default -> throw new IllegalArgumentException("unknown server " + server);
        }
        log("starting " + server);
        return ServerHandle.spawn(server, main, options.serverJvm, args);
    }

    private List<RunResult> runScenario(String serverSpec, ServerHandle server) throws Exception {
        List<RunResult> results = new ArrayList<>();
        LoadOptions o = options;
        switch (o.scenario) {
            case "fanout", "many-topics" -> {
                Spec spec = new Spec(o.scenario, o.subscribers, o.topics, o.rate, false, false, false);
                if (o.search) {
                    results.addAll(search(serverSpec, server, spec));
                } else {
                    results.add(emit(load(server, spec)));
                }
            }
            case "slow-consumer" -> {
                results.add(emit(load(server, new Spec("slow-consumer-baseline", o.subscribers, o.topics, o.rate,
                        false, false, false))));
                RunResult slow = load(server, new Spec("slow-consumer", o.subscribers, o.topics, o.rate, true,
                        false, false));
                double baseP99 = results.get(0).number("p99Ms");
                slow.put("baselineP99Ms", baseP99);
                slow.put("p99VsBaseline", baseP99 > 0 ? slow.number("p99Ms") / baseP99 : Double.NaN);
                results.add(emit(slow));
            }
            case "reconnect-storm" -> {
                if (server.name.equals("reference")) {
                    log("reconnect-storm needs resume from history; the reference server has none: skipped");
                } else {
                    results.add(emit(load(server, new Spec("reconnect-storm", o.subscribers, o.topics, o.rate,
                            false, true, false))));
                }
            }
            case "node-death" -> {
                if (server.nodes().size() < 2) {
                    log("node-death needs several nodes sharing topics; " + server.name + " is one: skipped");
                } else {
                    results.add(emit(load(server, new Spec("node-death", o.subscribers, o.topics, o.rate, false,
                            false, true))));
                }
            }
            case "idle" -> results.add(emit(idle(server)));
            default -> throw new IllegalArgumentException(o.scenario);
        }
        return results;
    }

    /**
     * What one run does: {@code slow}, the first subscriber stops reading; {@code storm}, every connection drops
     * and resumes; {@code kill}, node 0 is killed and its subscribers resume on the other nodes.
     */
    private record Spec(String scenario, int subscribers, int topics, double rate, boolean slow, boolean storm,
            boolean kill) {
        Spec withRate(double newRate) {
            return new Spec(scenario, subscribers, topics, newRate, slow, storm, kill);
        }
    }

    /** Doubles the rate until a run fails the criteria, then bisects; the last line is the best passing run. */
    private List<RunResult> search(String serverSpec, ServerHandle first, Spec spec) throws Exception {
        // A spawned server is started afresh for every run after the first, so what earlier runs left behind
        // (retained history of their topics, a backlog, a fuller heap) cannot slow the later, faster runs.
        boolean fresh = !serverSpec.startsWith("ws://");
        ServerHandle[] current = {first};
        try {
            return search(current, fresh, serverSpec, spec);
        } finally {
            if (current[0] != first) {
                current[0].close();
            }
        }
    }

    private List<RunResult> search(ServerHandle[] current, boolean fresh, String serverSpec, Spec spec)
            throws Exception {
        ServerHandle server = current[0];
        boolean used = false;
        List<RunResult> steps = new ArrayList<>();
        double rate = options.searchStart;
        double passed = 0;
        double failed = Double.POSITIVE_INFINITY;
        RunResult best = null;
        for (int step = 0; step < options.searchSteps; step++) {
            RunResult r = null;
            boolean ok = false;
            // On a shared machine one window can fail on a latency spike caused by someone else; a rate counts
            // as sustained if any of --search-attempts windows passes. Every attempt is printed.
            for (int attempt = 0; attempt < options.searchAttempts && !ok; attempt++) {
                if (fresh && used) {
                    current[0].close(); // idempotent; the caller closes the first one again
                    current[0] = open(serverSpec);
                }
                used = true;
                r = load(current[0], spec.withRate(rate));
                ok = passes(r);
                r.put("searchStep", step).put("attempt", attempt).put("passed", ok);
                steps.add(emit(r));
            }
            if (ok) {
                passed = rate;
                best = r;
            } else {
                failed = rate;
            }
            if (failed / passed < 1.15) {
                break;
            }
            rate = failed == Double.POSITIVE_INFINITY ? rate * 2 : passed == 0 ? rate / 4 : (passed + failed) / 2;
            rate = Math.rint(rate);
        }
        RunResult summary = best == null ? new RunResult().put("server", server.name).put("scenario", spec.scenario)
                .put("error", "no rate passed") : best.copy();
        summary.put("scenario", spec.scenario + "-max").put("firstFailingRate",
                failed == Double.POSITIVE_INFINITY ? -1 : failed);
        summary.fields.remove("searchStep");
        summary.fields.remove("passed");
        summary.fields.remove("attempt");
        steps.add(emit(summary));
        return steps;
    }

    private boolean passes(RunResult r) {
        return r.fields.get("error") == null && r.number("lossRatio") < options.maxLoss
                && r.number("p99Ms") < options.maxP99Ms;
    }

    private RunResult emit(RunResult result) {
        String json = result.toJson();
        out.println(json);
        out.flush();
        if (options.jsonOut != null) {
            try {
                Files.writeString(Path.of(options.jsonOut), json + "\n", StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                log("could not append to " + options.jsonOut + ": " + e);
            }
        }
        return result;
    }

    private static void log(String message) {
        System.err.println("[load " + java.time.LocalTime.now().withNano(0) + "] " + message);
    }

    private String[] topicNames(long run, int count) {
        String[] topics = new String[count];
        for (int t = 0; t < count; t++) {
            topics[t] = "bench.r" + PROCESS_TOKEN + "-" + run + ".t" + t;
        }
        return topics;
    }

    private RunResult base(ServerHandle server, String scenario) {
        return new RunResult().put("server", server.name).put("scenario", scenario)
                .put("transport", Transport.name());
    }

    /** One measured run of fan-out, many topics, slow consumer, reconnect storm or node death. */
    private RunResult load(ServerHandle server, Spec spec) throws Exception {
        long run = RUNS.incrementAndGet();
        LoadOptions o = options;
        String[] topics = topicNames(run, spec.topics);
        log(server.name + " " + spec.scenario + ": S=" + spec.subscribers + " topics=" + spec.topics + " rate="
                + spec.rate + "/s");
        RunResult result = base(server, spec.scenario)
                .put("subscribers", spec.subscribers).put("topics", spec.topics).put("publishers", o.publishers)
                .put("publishVia", o.http ? "http" : "ws").put("payloadBytes", o.payload).put("rate", spec.rate)
                .put("warmupS", o.warmup).put("durationS", o.duration);
        List<URI> nodes = server.nodes();
        if (nodes.size() > 1) {
            result.put("nodes", nodes.size());
        }
        // Node death publishes through a node that survives, so that publishing never stops.
        URI publishTo = spec.kill ? nodes.get(1) : server.websocket;
        Bootstrap bootstrap = loops.bootstrap(loops.subscriberGroup);
        SubscriberClient[] subscribers = new SubscriberClient[spec.subscribers];
        for (int i = 0; i < subscribers.length; i++) {
            subscribers[i] = new SubscriberClient(i, topics[i % topics.length], run, nodes.get(i % nodes.size()),
                    loops, spec.storm || spec.kill);
        }
        List<Publisher> publishers = new ArrayList<>();
        try {
            // The slow subscriber gets a small receive buffer, so the server sees it fall behind within seconds
            // rather than after the kernel has buffered megabytes for it.
            int live = connectAll(subscribers, bootstrap, spec.slow
                    ? bootstrap.clone().option(ChannelOption.SO_RCVBUF, 4096) : bootstrap, 30 + spec.subscribers / 200);
            if (live < subscribers.length) {
                return result.put("error", "only " + live + " of " + subscribers.length + " subscribed; "
                        + firstError(subscribers));
            }
            if (spec.slow) {
                subscribers[0].channel.config().setAutoRead(false);
            }
            for (int p = 0; p < o.publishers; p++) {
                Publisher publisher = Publisher.create(o.http, p, topics, run, spec.rate / o.publishers,
                        Long.MAX_VALUE, o.payload, loops, publishTo);
                // A node busy resuming everyone may refuse a publish (engine_unavailable) or not answer it in time;
                // only acknowledged messages are promised, so the absence of the others is not loss.
                publisher.tagged = spec.kill;
                publishers.add(publisher);
                publisher.connect(loops.bootstrap(loops.publisherGroup));
            }
            for (Publisher publisher : publishers) {
                if (!publisher.ready.await(30, TimeUnit.SECONDS)) {
                    return result.put("error", "publisher " + publisher.index + " did not connect: "
                            + publisher.lastError);
                }
            }
            long startAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
            for (Publisher publisher : publishers) {
                publisher.start(startAt);
            }
            sleepSeconds(o.warmup);
            loops.onEachLoop(s -> {
                s.latencyMicros.reset();
                s.windowDeliveries = 0;
                s.recording = true;
                return null;
            });
            double serverCpu0 = server.cpuSeconds();
            double storeCpu0 = server.storeCpuSeconds();
            double clientCpu0 = ownCpuSeconds();
            long[] machine0 = machineCpuTicks();
            long t0 = System.nanoTime();
            long node0Rss = -1;
            if (spec.storm) {
                storm(subscribers, bootstrap, result);
                double left = o.duration - (System.nanoTime() - t0) / 1e9;
                sleepSeconds(Math.max(0, left));
            } else if (spec.kill) {
                node0Rss = server.rssBytes(); // node 0's memory, while it still has its subscribers
                nodeDeath(server, subscribers, bootstrap, result, startAt, spec.rate / spec.topics);
                double left = o.duration - (System.nanoTime() - t0) / 1e9;
                sleepSeconds(Math.max(0, left));
            } else {
                sleepSeconds(o.duration);
            }
            List<Object[]> windows = loops.onEachLoop(s -> {
                s.recording = false;
                return new Object[] {s.latencyMicros.copy(), s.windowDeliveries};
            });
            double windowSeconds = (System.nanoTime() - t0) / 1e9;
            double serverCpu = server.cpuSeconds() - serverCpu0;
            double storeCpu = server.storeCpuSeconds() - storeCpu0;
            double clientCpu = ownCpuSeconds() - clientCpu0;
            long[] machine1 = machineCpuTicks();
            if (!spec.kill) {
                node0Rss = server.rssBytes();
            }

            long[][] sent = new long[publishers.size()][];
            for (Publisher publisher : publishers) {
                sent[publisher.index] = publisher.stop().get(10, TimeUnit.SECONDS);
            }
            long[] expected = new long[subscribers.length];
            long expectedTotal = 0;
            long published = 0;
            for (long[] perTopic : sent) {
                for (long n : perTopic) {
                    published += n;
                }
            }
            List<List<long[]>> unacknowledged = new ArrayList<>();
            long[] unackedPerTopic = new long[topics.length];
            if (spec.kill) {
                awaitAnswers(publishers, published);
                for (Publisher publisher : publishers) {
                    List<long[]> r = publisher.unacknowledged().get(10, TimeUnit.SECONDS);
                    unacknowledged.add(r);
                    for (long[] message : r) {
                        unackedPerTopic[(int) message[0]]++;
                    }
                }
            }
            for (SubscriberClient s : subscribers) {
                int t = s.index % topics.length;
                for (long[] perTopic : sent) {
                    expected[s.index] += perTopic[t];
                }
                expected[s.index] -= unackedPerTopic[t];
                if (!(spec.slow && s.index == 0)) {
                    expectedTotal += expected[s.index];
                }
            }
            drain(subscribers, expected, spec.slow ? 1 : 0);
            if (spec.slow) {
                slowOutcome(subscribers[0], result);
            }
            closeAll(subscribers, publishers);

            long delivered = 0;
            long lost = 0;
            long dup = 0;
            long ooo = 0;
            long stale = 0;
            long unexpectedCloses = 0;
            long errorFrames = 0;
            long gaps = 0;
            long notRecovered = 0;
            long killedLost = 0;
            long killedDup = 0;
            long lostInsideHistory = 0;
            long lostOutsideHistory = 0;
            long resumesOutsideHistory = 0;
            long othersDropped = 0;
            int insideLosers = 0;
            TreeMap<Integer, Integer> dropCodes = new TreeMap<>();
            for (SubscriberClient s : subscribers) {
                if (spec.slow && s.index == 0) {
                    continue;
                }
                int t = s.index % topics.length;
                delivered += s.tracker.distinct;
                dup += s.tracker.duplicates;
                ooo += s.tracker.outOfOrder;
                // Holes in a subscriber's sequence count here as well as a missing tail: a resume that skipped
                // messages is loss even if later ones arrived.
                long missing = 0;
                for (int p = 0; p < sent.length; p++) {
                    missing += s.tracker.missing(p, sent[p][t]);
                }
                for (int p = 0; p < unacknowledged.size(); p++) {
                    for (long[] message : unacknowledged.get(p)) {
                        if (message[0] == t && !s.tracker.received(p, message[1])) {
                            missing--;
                        }
                    }
                }
                lost += missing;
                if (spec.kill) {
                    boolean victim = s.index % nodes.size() == 0;
                    // A resume the server could not serve from history (recovered:false) may lose what it missed;
                    // every other subscriber, and one that never resumed, must have lost nothing.
                    if (s.notRecovered > 0) {
                        lostOutsideHistory += missing;
                        resumesOutsideHistory++;
                    } else {
                        lostInsideHistory += missing;
                        if (missing > 0 && insideLosers++ < 5) {
                            StringBuilder what = new StringBuilder();
                            for (int p = 0; p < sent.length; p++) {
                                what.append(' ').append(s.tracker.describeMissing(p, sent[p][t]));
                            }
                            log("subscriber " + s.index + (victim ? " (of the killed node)" : "") + " lost "
                                    + missing + " inside history; live " + s.live + ", drops " + s.unexpectedCloses
                                    + ", close code " + s.closeCode + ", last error " + s.lastError + ";" + what);
                        }
                    }
                    if (victim) {
                        killedLost += missing;
                        killedDup += s.tracker.duplicates;
                    } else if (s.unexpectedCloses > 0) {
                        othersDropped++;
                        dropCodes.merge(s.closeCode, 1, Integer::sum);
                    }
                }
                stale += s.stale;
                unexpectedCloses += s.unexpectedCloses;
                errorFrames += s.errorFrames;
                gaps += s.gapFrames;
                notRecovered += s.notRecovered;
            }
            Histogram latency = new Histogram(ClientLoops.MAX_LATENCY_MICROS, 3);
            long windowDeliveries = 0;
            for (Object[] window : windows) {
                latency.add((Histogram) window[0]);
                windowDeliveries += (Long) window[1];
            }
            long publishErrors = 0;
            String publishError = null;
            for (Publisher publisher : publishers) {
                publishErrors += publisher.errors;
                publishError = publishError == null ? publisher.lastError : publishError;
            }
            result.put("published", published).put("expectedDeliveries", expectedTotal).put("delivered", delivered)
                    .put("deliveriesPerSec", windowDeliveries / windowSeconds)
                    .put("lost", lost).put("dup", dup).put("outOfOrder", ooo)
                    .put("lossRatio", expectedTotal == 0 ? 0.0 : lost / (double) expectedTotal);
            putLatency(result, latency);
            result.put("serverCpuS", serverCpu)
                    .put("serverCpuPct", serverCpu < 0 ? -1.0 : 100 * serverCpu / windowSeconds)
                    .put("clientCpuPct", clientCpu < 0 ? -1.0 : 100 * clientCpu / windowSeconds)
                    .put("machineBusyPct", busyPct(machine0, machine1))
                    .put("loadAverage", loadAverage())
                    .put("serverCpuSPerMillion", perMillion(serverCpu, windowDeliveries))
                    .put("clientCpuSPerMillion", perMillion(clientCpu, windowDeliveries));
            if (storeCpu0 >= 0) {
                // Nodes share Redis: its CPU is part of the cost of a delivery, reported apart from the nodes'.
                result.put("redisCpuS", storeCpu)
                        .put("redisCpuPct", storeCpu < 0 ? -1.0 : 100 * storeCpu / windowSeconds)
                        .put("redisCpuSPerMillion", perMillion(storeCpu, windowDeliveries))
                        .put("node0RssBytes", node0Rss);
            }
            result
                    .put("unexpectedCloses", unexpectedCloses).put("errorFrames", errorFrames)
                    .put("gapFrames", gaps).put("staleFrames", stale).put("publishErrors", publishErrors);
            if (spec.storm || spec.kill) {
                result.put("notRecovered", notRecovered);
            }
            if (spec.kill) {
                result.put("publishesUnacknowledged", sum(unackedPerTopic))
                        .put("killedLost", killedLost).put("killedDup", killedDup)
                        .put("othersDropped", othersDropped).put("othersDropCloseCodes", dropCodes.toString())
                        .put("resumesOutsideHistory", resumesOutsideHistory)
                        .put("lostOutsideHistory", lostOutsideHistory).put("lostInsideHistory", lostInsideHistory)
                        .put("target", "0 lost inside history")
                        .put("targetMet", lostInsideHistory == 0
                                && result.number("resumedElsewhere") == result.number("killedSubscribers"));
            }
            if (publishError != null) {
                result.put("firstPublishError", publishError);
            }
            String subscriberError = firstError(subscribers);
            if (!subscriberError.isEmpty()) {
                result.put("firstSubscriberError", subscriberError);
            }
            return result;
        } finally {
            closeAll(subscribers, publishers);
        }
    }

    /** Drops every subscriber's connection at once and resumes each from its last offset. */
    private void storm(SubscriberClient[] subscribers, Bootstrap bootstrap, RunResult result) throws Exception {
        sleepSeconds(Math.min(1.0, options.duration / 3));
        CountDownLatch allLive = new CountDownLatch(subscribers.length);
        long dropAt = System.nanoTime();
        for (SubscriberClient s : subscribers) {
            s.liveLatch = allLive;
            s.close().addListener(f -> s.connect(bootstrap, true));
        }
        boolean all = allLive.await(60, TimeUnit.SECONDS);
        long lastLive = dropAt;
        for (SubscriberClient s : subscribers) {
            lastLive = Math.max(lastLive, s.liveAtNanos);
        }
        result.put("reconnected", subscribers.length - allLive.getCount())
                .put("allLiveMs", all ? (lastLive - dropAt) / 1e6 : -1.0);
    }

    /**
     * Kills node 0 (SIGKILL, as a crash would); each of its subscribers notices its connection drop, connects to
     * node {@code 1 + i % (N - 1)} and resumes from the last offset it received with the epoch it was told, as a
     * client of a real deployment would. Reports how many resumed and how long until the last of them was live.
     * Subscribers of the surviving nodes that a node disconnects meanwhile (a slow
     * consumer, say) resume on their own node, so that loss counts only what history could not give back.
     */
    private void nodeDeath(ServerHandle server, SubscriberClient[] subscribers, Bootstrap bootstrap,
            RunResult result, long publishStart, double perTopicRate) throws InterruptedException {
        List<URI> nodes = server.nodes();
        int n = nodes.size();
        List<SubscriberClient> victims = new ArrayList<>();
        CountDownLatch allLive = new CountDownLatch((subscribers.length + n - 1) / n);
        AtomicLong attempts = new AtomicLong();
        AtomicLong killAt = new AtomicLong(Long.MAX_VALUE);
        // When each victim was first live again: a later drop and resume must not move it, nor count down twice.
        AtomicLongArray firstLive = new AtomicLongArray(subscribers.length);
        for (SubscriberClient s : subscribers) {
            boolean victim = s.index % n == 0;
            int[] tries = {0};
            if (victim) {
                victims.add(s);
                s.liveLatch = allLive;
                s.moveTo(nodes.get(1 + s.index % (n - 1)));
            }
            s.onDrop = () -> {
                if (victim && s.liveAtNanos > killAt.get() && firstLive.compareAndSet(s.index, 0, s.liveAtNanos)) {
                    s.liveLatch = new CountDownLatch(0);
                }
                resume(s, bootstrap, tries, attempts);
            };
            // A node that cannot read history in time refuses the resume (engine_unavailable); a client retries.
            s.onRefused = () -> s.close().addListener(f -> retry(s, bootstrap, tries, attempts));
        }
        log("killing node 0 (pid " + server.pid + ") with " + victims.size() + " subscribers");
        killAt.set(System.nanoTime());
        // How far behind the head each victim is: a resume from further back than history holds cannot be served.
        double due = (killAt.get() - publishStart) / 1e9 * perTopicRate;
        Histogram lag = new Histogram(3);
        for (SubscriberClient s : victims) {
            lag.recordValue(Math.max(0, Math.round(due - s.distinct)));
        }
        server.killNode(0);
        boolean all = allLive.await(60, TimeUnit.SECONDS);
        long lastLive = killAt.get();
        for (SubscriberClient s : victims) {
            long first = firstLive.get(s.index);
            lastLive = Math.max(lastLive, first != 0 ? first : s.liveAtNanos);
        }
        double allLiveMs = all ? (lastLive - killAt.get()) / 1e6 : -1.0;
        log(victims.size() - allLive.getCount() + " of " + victims.size() + " resumed elsewhere"
                + (all ? ", all live " + Math.round(allLiveMs) + " ms after the kill" : ""));
        result.put("killedNode", 0).put("killedSubscribers", victims.size())
                .put("resumedElsewhere", victims.size() - allLive.getCount()).put("allLiveMs", allLiveMs)
                .put("resumeAttempts", attempts.get()).put("historyMessages", HISTORY_MESSAGES)
                .put("killedLagAtKillP50", lag.getValueAtPercentile(50))
                .put("killedLagAtKillMax", lag.getMaxValue());
    }

    /**
     * Connects a subscriber whose connection dropped to its node (the next one, if its own died) and resumes it; a
     * failed attempt (the node is overwhelmed by everyone reconnecting at once) is retried with {@link #retry}.
     */
    private static void resume(SubscriberClient s, Bootstrap bootstrap, int[] tries, AtomicLong attempts) {
        // Runs on an event loop: the drop's, or the scheduled retry's, never two at once for one client.
        if (++tries[0] > RESUME_ATTEMPTS) {
            s.lastError = "gave up resuming after " + RESUME_ATTEMPTS + " attempts; last: " + s.lastError;
            return;
        }
        attempts.incrementAndGet();
        s.connect(bootstrap, true).addListener(f -> {
            if (!f.isSuccess()) {
                s.lastError = String.valueOf(f.cause());
                retry(s, bootstrap, tries, attempts);
            }
        });
    }

    /**
     * Resumes again after an exponential backoff with jitter (100 ms doubling up to 3.2 s, times 0.5 to 1), as a
     * well-behaved client does: retrying at a fixed short interval turns a node that is slow to answer everyone at
     * once into one that answers no one.
     */
    private static void retry(SubscriberClient s, Bootstrap bootstrap, int[] tries, AtomicLong attempts) {
        long backoff = 100L << Math.min(5, Math.max(0, tries[0] - 1));
        long delay = (long) (backoff * (0.5 + 0.5 * ThreadLocalRandom.current().nextDouble()));
        bootstrap.config().group().schedule(() -> resume(s, bootstrap, tries, attempts), delay,
                TimeUnit.MILLISECONDS);
    }

    /**
     * Waits, at most 10 s, until every publish has been answered (acknowledged or refused), so that what was
     * acknowledged is known before loss is counted; a publisher whose connection closed gets no more answers.
     */
    private static void awaitAnswers(List<Publisher> publishers, long published) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            long answered = 0;
            boolean open = true;
            for (Publisher publisher : publishers) {
                answered += publisher.acks + publisher.errors;
                open &= publisher.channel.isActive();
            }
            if (answered >= published || !open) {
                return;
            }
            Thread.sleep(20);
        }
    }

    private static long sum(long[] values) {
        long total = 0;
        for (long n : values) {
            total += n;
        }
        return total;
    }

    /** Lets the slow subscriber read again and reports what it went through. */
    private void slowOutcome(SubscriberClient slow, RunResult result) throws InterruptedException {
        slow.channel.config().setAutoRead(true);
        slow.channel.read();
        slow.channel.closeFuture().await(3, TimeUnit.SECONDS);
        result.put("slowReceived", slow.distinct).put("slowClosedByServer", !slow.channel.isActive())
                .put("slowCloseCode", slow.closeCode).put("slowGapFrames", slow.gapFrames)
                .put("slowErrorFrames", slow.errorFrames);
    }

    /** Connects with at most {@code connectConcurrency} handshakes in flight; returns how many subscribed. */
    private int connectAll(SubscriberClient[] subscribers, Bootstrap bootstrap, int timeoutSeconds)
            throws InterruptedException {
        return connectAll(subscribers, bootstrap, bootstrap, timeoutSeconds);
    }

    /** As above; the first subscriber connects with its own bootstrap. */
    private int connectAll(SubscriberClient[] subscribers, Bootstrap bootstrap, Bootstrap first,
            int timeoutSeconds) throws InterruptedException {
        CountDownLatch live = new CountDownLatch(subscribers.length);
        Semaphore inFlight = new Semaphore(options.connectConcurrency);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        for (SubscriberClient s : subscribers) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !inFlight.tryAcquire(left, TimeUnit.NANOSECONDS)) {
                break;
            }
            s.liveLatch = live;
            s.settled = inFlight::release;
            s.connect(s.index == 0 ? first : bootstrap, false).addListener(f -> {
                if (!f.isSuccess()) {
                    s.lastError = String.valueOf(f.cause());
                    s.settle();
                }
            });
        }
        live.await(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        int subscribed = 0;
        for (SubscriberClient s : subscribers) {
            if (s.live) {
                subscribed++;
            }
        }
        return subscribed;
    }

    /**
     * Waits until every subscriber (but the first {@code skip}) has received what was sent to its topic, or no
     * delivery has arrived for 5 s, or {@code --drain-seconds} have passed; whatever is still missing then counts
     * as lost.
     */
    private void drain(SubscriberClient[] subscribers, long[] expected, int skip) throws InterruptedException {
        long deadline = System.nanoTime() + (long) (options.drainSeconds * 1e9);
        long lastTotal = -1;
        long lastProgress = System.nanoTime();
        while (System.nanoTime() < deadline) {
            long total = 0;
            boolean complete = true;
            for (int i = skip; i < subscribers.length; i++) {
                long got = subscribers[i].distinct;
                total += got;
                complete &= got >= expected[i];
            }
            if (complete) {
                return;
            }
            if (total != lastTotal) {
                lastTotal = total;
                lastProgress = System.nanoTime();
            } else if (System.nanoTime() - lastProgress > TimeUnit.SECONDS.toNanos(5)) {
                return;
            }
            Thread.sleep(20);
        }
    }

    private static void closeAll(SubscriberClient[] subscribers, List<Publisher> publishers) {
        List<ChannelFuture> closing = new ArrayList<>();
        for (SubscriberClient s : subscribers) {
            if (s.channel != null) {
                closing.add(s.close());
            }
        }
        for (Publisher publisher : publishers) {
            publisher.closeChannel();
        }
        for (ChannelFuture f : closing) {
            f.awaitUninterruptibly(10, TimeUnit.SECONDS);
        }
    }

    private static String firstError(SubscriberClient[] subscribers) {
        for (SubscriberClient s : subscribers) {
            if (s.lastError != null) {
                return "subscriber " + s.index + ": " + s.lastError;
            }
        }
        return "";
    }

    private static void putLatency(RunResult result, Histogram micros) {
        result.put("latencySamples", micros.getTotalCount())
                .put("p50Ms", micros.getValueAtPercentile(50) / 1000.0)
                .put("p90Ms", micros.getValueAtPercentile(90) / 1000.0)
                .put("p99Ms", micros.getValueAtPercentile(99) / 1000.0)
                .put("p999Ms", micros.getValueAtPercentile(99.9) / 1000.0)
                .put("maxMs", micros.getMaxValue() / 1000.0);
    }

    private static double perMillion(double cpuSeconds, long deliveries) {
        return cpuSeconds < 0 || deliveries == 0 ? -1.0 : cpuSeconds / (deliveries / 1e6);
    }

    /** Busy and total jiffies of all CPUs ({@code /proc/stat}), or {@code null}. */
    private static long[] machineCpuTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < f.length; i++) {
                total += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
            return new long[] {total - idle, total};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Share of all CPUs busy between two samples (100 = every CPU busy), whoever used them; -1 if unknown. */
    private static double busyPct(long[] before, long[] after) {
        if (before == null || after == null || after[1] == before[1]) {
            return -1.0;
        }
        return 100.0 * (after[0] - before[0]) / (after[1] - before[1]);
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static double ownCpuSeconds() {
        return new ServerHandle("self", URI.create("ws://localhost/"), ProcessHandle.current().pid()).cpuSeconds();
    }

    private static void sleepSeconds(double seconds) throws InterruptedException {
        Thread.sleep((long) (seconds * 1000));
    }

    /**
     * Idle connections: memory per connection after GC, survival of an idle period with heartbeats, then one
     * message to each connection's own topic to prove it is still alive.
     */
    private RunResult idle(ServerHandle server) throws Exception {
        long run = RUNS.incrementAndGet();
        int count = options.connections;
        String[] topics = topicNames(run, count);
        RunResult result = base(server, "idle").put("connections", count).put("idleS", options.idleSeconds)
                .put("heartbeatS", options.heartbeatSeconds);
        log(server.name + " idle: " + count + " connections");
        long heapBefore = server.heapUsedAfterGc();
        long rssBefore = server.rssBytes();
        java.util.Map<String, long[]> classesBefore = server.classHistogram();
        Bootstrap bootstrap = loops.bootstrap(loops.subscriberGroup);
        SubscriberClient[] subscribers = new SubscriberClient[count];
        List<URI> nodes = server.nodes();
        for (int i = 0; i < count; i++) {
            subscribers[i] = new SubscriberClient(i, topics[i], run, nodes.get(i % nodes.size()), loops, false);
        }
        List<Publisher> publishers = new ArrayList<>();
        try {
            long connectStart = System.nanoTime();
            int live = connectAll(subscribers, bootstrap, 60 + count / 100);
            result.put("subscribed", live).put("connectS", (System.nanoTime() - connectStart) / 1e9);
            // Memory is node 0's, so it is shared by node 0's connections only.
            int measured = 0;
            for (SubscriberClient s : subscribers) {
                if (s.live && s.index % nodes.size() == 0) {
                    measured++;
                }
            }
            if (nodes.size() > 1) {
                result.put("nodes", nodes.size()).put("connectionsOnNode0", measured);
            }
            long heapAfter = server.heapUsedAfterGc();
            long rssAfter = server.rssBytes();
            if (!classesBefore.isEmpty() && measured > 0) {
                Path file = Path.of(System.getProperty("java.io.tmpdir"), "idle-" + server.name + "-" + live
                        + "-classes.txt");
                Files.writeString(file, histogramDiff(classesBefore, server.classHistogram(), measured));
                result.put("classHistogramDiff", file.toString());
                log("heap growth by class, per connection: " + file);
            }
            result.put("heapBeforeBytes", heapBefore).put("heapAfterBytes", heapAfter)
                    .put("heapPerConnectionBytes", heapBefore < 0 || measured == 0 ? -1.0
                            : (heapAfter - heapBefore) / (double) measured)
                    .put("rssPerConnectionBytes", rssBefore < 0 || measured == 0 ? -1.0
                            : (rssAfter - rssBefore) / (double) measured);
            if (live < count) {
                result.put("error", "only " + live + " of " + count + " subscribed; " + firstError(subscribers));
            }
            log("idle for " + options.idleSeconds + " s");
            sleepSeconds(options.idleSeconds);
            long closedWhileIdle = 0;
            for (SubscriberClient s : subscribers) {
                closedWhileIdle += s.unexpectedCloses;
            }
            result.put("closedWhileIdle", closedWhileIdle);
            loops.onEachLoop(s -> {
                s.latencyMicros.reset();
                s.windowDeliveries = 0;
                s.recording = true;
                return null;
            });
            Publisher publisher = Publisher.create(false, 0, topics, run, Math.min(options.rate, 20_000), count,
                    options.payload, loops, server.websocket);
            publishers.add(publisher);
            publisher.connect(loops.bootstrap(loops.publisherGroup));
            if (!publisher.ready.await(30, TimeUnit.SECONDS)) {
                return result.put("error", "publisher did not connect: " + publisher.lastError);
            }
            publisher.start(System.nanoTime());
            long[] expected = new long[count];
            java.util.Arrays.fill(expected, 1);
            sleepSeconds(count / Math.min(options.rate, 20_000));
            drain(subscribers, expected, 0);
            List<Object[]> windows = loops.onEachLoop(s -> {
                s.recording = false;
                return new Object[] {s.latencyMicros.copy()};
            });
            long[] sent = publisher.stop().get(10, TimeUnit.SECONDS);
            closeAll(subscribers, publishers);
            long lost = 0;
            long dup = 0;
            for (SubscriberClient s : subscribers) {
                lost += s.tracker.missing(0, sent[s.index]);
                dup += s.tracker.duplicates;
            }
            Histogram latency = new Histogram(ClientLoops.MAX_LATENCY_MICROS, 3);
            for (Object[] window : windows) {
                latency.add((Histogram) window[0]);
            }
            result.put("lost", lost).put("dup", dup).put("lossRatio", lost / (double) count)
                    .put("publishErrors", publisher.errors);
            putLatency(result, latency);
            return result;
        } finally {
            closeAll(subscribers, publishers);
        }
    }

    /** The classes whose live bytes grew most, per connection, as a table. */
    private static String histogramDiff(java.util.Map<String, long[]> before, java.util.Map<String, long[]> after,
            int connections) {
        List<java.util.Map.Entry<String, long[]>> grown = new ArrayList<>();
        for (java.util.Map.Entry<String, long[]> e : after.entrySet()) {
            long[] was = before.getOrDefault(e.getKey(), new long[2]);
            grown.add(java.util.Map.entry(e.getKey(), new long[] {e.getValue()[0] - was[0], e.getValue()[1] - was[1]}));
        }
        grown.sort((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]));
        StringBuilder t = new StringBuilder(String.format(Locale.ROOT, "%12s %12s  %s%n", "objects/conn",
                "bytes/conn", "class"));
        long total = 0;
        for (java.util.Map.Entry<String, long[]> e : grown) {
            total += e.getValue()[1];
        }
        for (java.util.Map.Entry<String, long[]> e : grown.subList(0, Math.min(40, grown.size()))) {
            t.append(String.format(Locale.ROOT, "%12.2f %12.1f  %s%n", e.getValue()[0] / (double) connections,
                    e.getValue()[1] / (double) connections, e.getKey()));
        }
        t.append(String.format(Locale.ROOT, "%12s %12.1f  %s%n", "", total / (double) connections, "(all classes)"));
        return t.toString();
    }

    /**
     * A human table of the runs, then Herald/reference ratios for scenarios both servers ran, herald-redis against
     * herald likewise, and the outcome of each node death.
     */
    static String table(List<RunResult> results) {
        StringBuilder t = new StringBuilder();
        int width = 10;
        for (RunResult r : results) {
            width = Math.max(width, r.text("server").length());
        }
        String server = "%-" + width + "s";
        t.append(String.format(Locale.ROOT, server + " %-24s %6s %6s %9s %11s %7s %5s %5s %8s %8s %8s %8s %8s %9s%n",
                "server", "scenario", "subs", "topics", "rate/s", "deliv/s", "lost", "dup", "ooo", "p50 ms",
                "p90 ms", "p99 ms", "p99.9 ms", "max ms", "cpu s/M"));
        for (RunResult r : results) {
            t.append(String.format(Locale.ROOT, server
                    + " %-24s %6.0f %6.0f %9.0f %11.0f %7.0f %5.0f %5.0f %8.2f %8.2f %8.2f %8.2f %8.2f %9.2f%n",
                    r.text("server"), r.text("scenario"), or(r, "subscribers", "connections"), r.number("topics"),
                    r.number("rate"), r.number("deliveriesPerSec"), r.number("lost"), r.number("dup"),
                    r.number("outOfOrder"), r.number("p50Ms"), r.number("p90Ms"), r.number("p99Ms"),
                    r.number("p999Ms"), r.number("maxMs"), r.number("serverCpuSPerMillion")));
            StringBuilder extra = new StringBuilder();
            for (String key : List.of("error", "heapPerConnectionBytes", "rssPerConnectionBytes", "closedWhileIdle",
                    "allLiveMs", "notRecovered", "slowClosedByServer", "slowCloseCode", "p99VsBaseline",
                    "firstFailingRate", "unexpectedCloses", "publishErrors", "nodes", "redisCpuSPerMillion",
                    "node0RssBytes", "killedSubscribers", "resumedElsewhere", "killedLost", "killedDup",
                    "othersDropped", "resumesOutsideHistory", "lostInsideHistory", "publishesUnacknowledged")) {
                Object v = r.fields.get(key);
                if (v != null && !(v instanceof Number n && n.doubleValue() == 0 && !key.startsWith("slow"))) {
                    extra.append(' ').append(key).append('=').append(v instanceof Double d
                            ? String.format(Locale.ROOT, key.endsWith("PerMillion") ? "%.3f" : "%.1f", d) : v);
                }
            }
            if (extra.length() > 0) {
                t.append("           ").append(extra).append(System.lineSeparator());
            }
        }
        for (RunResult herald : results) {
            if (!herald.text("server").equals("herald")) {
                continue;
            }
            for (RunResult reference : results) {
                if (reference.text("server").equals("reference")
                        && reference.text("scenario").equals(herald.text("scenario"))
                        && reference.fields.get("searchStep") == null && herald.fields.get("searchStep") == null) {
                    t.append(String.format(Locale.ROOT,
                            "herald/reference %-24s deliveries/s %.2f  p99 %.2f  cpu/M %.2f  heap/conn %.2f%n",
                            herald.text("scenario"),
                            herald.number("deliveriesPerSec") / reference.number("deliveriesPerSec"),
                            herald.number("p99Ms") / reference.number("p99Ms"),
                            herald.number("serverCpuSPerMillion") / reference.number("serverCpuSPerMillion"),
                            herald.number("heapPerConnectionBytes") / reference.number("heapPerConnectionBytes")));
                }
            }
        }
        for (RunResult redis : results) {
            if (!redis.text("server").equals("herald-redis") || redis.fields.get("searchStep") != null) {
                continue;
            }
            for (RunResult herald : results) {
                if (herald.text("server").equals("herald") && herald.fields.get("searchStep") == null
                        && herald.text("scenario").equals(redis.text("scenario"))) {
                    t.append(versus(redis, herald));
                }
            }
        }
        for (RunResult r : results) {
            if (r.text("scenario").equals("node-death")) {
                t.append(nodeDeathSummary(r));
            }
        }
        return t.toString();
    }

    /** herald-redis against in-memory herald in one scenario: throughput, latency, CPU. */
    private static String versus(RunResult redis, RunResult herald) {
        return String.format(Locale.ROOT, "herald-redis vs herald %-24s deliveries/s %.0f vs %.0f (%.2fx)  "
                        + "p50 %.2f vs %.2f ms  p99 %.2f vs %.2f ms  p99.9 %.2f vs %.2f ms  "
                        + "p99 difference %+.2f ms  cpu s/M nodes %.2f + redis %.2f vs %.2f%n",
                redis.text("scenario"), redis.number("deliveriesPerSec"), herald.number("deliveriesPerSec"),
                redis.number("deliveriesPerSec") / herald.number("deliveriesPerSec"),
                redis.number("p50Ms"), herald.number("p50Ms"), redis.number("p99Ms"), herald.number("p99Ms"),
                redis.number("p999Ms"), herald.number("p999Ms"), redis.number("p99Ms") - herald.number("p99Ms"),
                redis.number("serverCpuSPerMillion"), redis.number("redisCpuSPerMillion"),
                herald.number("serverCpuSPerMillion"));
    }

    /** One node death in words: who came back, how fast, and whether anything was lost. */
    private static String nodeDeathSummary(RunResult r) {
        if (r.fields.get("error") != null) {
            return r.text("server") + " node-death: " + r.text("error") + System.lineSeparator();
        }
        Object met = r.fields.get("targetMet");
        double allLive = r.number("allLiveMs");
        return String.format(Locale.ROOT, "%s node-death: %.0f nodes; node 0 killed with %.0f subscribers (behind "
                        + "the head by p50 %.0f, max %.0f messages; history keeps %.0f); %.0f resumed on the others, "
                        + "%s; %.0f other subscribers dropped by their own node, resuming there; %.0f subscribers "
                        + "resumed outside history (recovered:false), losing %.0f; lost inside history %.0f, dup %.0f; "
                        + "target 0 lost inside history: %s%n",
                r.text("server"), r.number("nodes"), r.number("killedSubscribers"), r.number("killedLagAtKillP50"),
                r.number("killedLagAtKillMax"), r.number("historyMessages"), r.number("resumedElsewhere"),
                allLive >= 0 ? String.format(Locale.ROOT, "all live %.0f ms after the kill", allLive)
                        : "not all live within 60 s", r.number("othersDropped"), r.number("resumesOutsideHistory"),
                r.number("lostOutsideHistory"), r.number("lostInsideHistory"), r.number("dup"),
                met instanceof Boolean b ? (b ? "met" : "MISSED") : String.valueOf(met));
    }

    private static double or(RunResult r, String key, String fallback) {
        double v = r.number(key);
        return Double.isNaN(v) ? r.number(fallback) : v;
    }
}
