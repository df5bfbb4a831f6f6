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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
                Spec spec = new Spec(o.scenario, o.subscribers, o.topics, o.rate, false, false);
                if (o.search) {
                    results.addAll(search(serverSpec, server, spec));
                } else {
                    results.add(emit(load(server, spec)));
                }
            }
            case "slow-consumer" -> {
                results.add(emit(load(server, new Spec("slow-consumer-baseline", o.subscribers, o.topics, o.rate,
                        false, false))));
                RunResult slow = load(server, new Spec("slow-consumer", o.subscribers, o.topics, o.rate, true,
                        false));
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
                            false, true))));
                }
            }
            case "idle" -> results.add(emit(idle(server)));
            default -> throw new IllegalArgumentException(o.scenario);
        }
        return results;
    }

    private record Spec(String scenario, int subscribers, int topics, double rate, boolean slow, boolean storm) {
        Spec withRate(double newRate) {
            return new Spec(scenario, subscribers, topics, newRate, slow, storm);
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

    /** One measured run of fan-out, many topics, slow consumer or reconnect storm. */
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
        Bootstrap bootstrap = loops.bootstrap(loops.subscriberGroup);
        SubscriberClient[] subscribers = new SubscriberClient[spec.subscribers];
        for (int i = 0; i < subscribers.length; i++) {
            subscribers[i] = new SubscriberClient(i, topics[i % topics.length], run, server.websocket, loops,
                    spec.storm);
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
                        Long.MAX_VALUE, o.payload, loops, server.websocket);
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
            double clientCpu0 = ownCpuSeconds();
            long[] machine0 = machineCpuTicks();
            long t0 = System.nanoTime();
            if (spec.storm) {
                storm(subscribers, bootstrap, result);
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
            double clientCpu = ownCpuSeconds() - clientCpu0;
            long[] machine1 = machineCpuTicks();

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
            for (SubscriberClient s : subscribers) {
                int t = s.index % topics.length;
                for (long[] perTopic : sent) {
                    expected[s.index] += perTopic[t];
                }
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
            for (SubscriberClient s : subscribers) {
                if (spec.slow && s.index == 0) {
                    continue;
                }
                int t = s.index % topics.length;
                delivered += s.tracker.distinct;
                dup += s.tracker.duplicates;
                ooo += s.tracker.outOfOrder;
                for (int p = 0; p < sent.length; p++) {
                    lost += s.tracker.missing(p, sent[p][t]);
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
                    .put("clientCpuSPerMillion", perMillion(clientCpu, windowDeliveries))
                    .put("unexpectedCloses", unexpectedCloses).put("errorFrames", errorFrames)
                    .put("gapFrames", gaps).put("staleFrames", stale).put("publishErrors", publishErrors);
            if (spec.storm) {
                result.put("notRecovered", notRecovered);
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
        for (int i = 0; i < count; i++) {
            subscribers[i] = new SubscriberClient(i, topics[i], run, server.websocket, loops, false);
        }
        List<Publisher> publishers = new ArrayList<>();
        try {
            long connectStart = System.nanoTime();
            int live = connectAll(subscribers, bootstrap, 60 + count / 100);
            result.put("subscribed", live).put("connectS", (System.nanoTime() - connectStart) / 1e9);
            long heapAfter = server.heapUsedAfterGc();
            long rssAfter = server.rssBytes();
            if (!classesBefore.isEmpty() && live > 0) {
                Path file = Path.of(System.getProperty("java.io.tmpdir"), "idle-" + server.name + "-" + live
                        + "-classes.txt");
                Files.writeString(file, histogramDiff(classesBefore, server.classHistogram(), live));
                result.put("classHistogramDiff", file.toString());
                log("heap growth by class, per connection: " + file);
            }
            result.put("heapBeforeBytes", heapBefore).put("heapAfterBytes", heapAfter)
                    .put("heapPerConnectionBytes", heapBefore < 0 || live == 0 ? -1.0
                            : (heapAfter - heapBefore) / (double) live)
                    .put("rssPerConnectionBytes", rssBefore < 0 || live == 0 ? -1.0
                            : (rssAfter - rssBefore) / (double) live);
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

    /** A human table of the runs, then Herald/reference ratios for scenarios both servers ran. */
    static String table(List<RunResult> results) {
        StringBuilder t = new StringBuilder();
        t.append(String.format(Locale.ROOT, "%-10s %-24s %6s %6s %9s %11s %7s %5s %5s %8s %8s %8s %8s %8s %9s%n",
                "server", "scenario", "subs", "topics", "rate/s", "deliv/s", "lost", "dup", "ooo", "p50 ms",
                "p90 ms", "p99 ms", "p99.9 ms", "max ms", "cpu s/M"));
        for (RunResult r : results) {
            t.append(String.format(Locale.ROOT,
                    "%-10s %-24s %6.0f %6.0f %9.0f %11.0f %7.0f %5.0f %5.0f %8.2f %8.2f %8.2f %8.2f %8.2f %9.2f%n",
                    r.text("server"), r.text("scenario"), or(r, "subscribers", "connections"), r.number("topics"),
                    r.number("rate"), r.number("deliveriesPerSec"), r.number("lost"), r.number("dup"),
                    r.number("outOfOrder"), r.number("p50Ms"), r.number("p90Ms"), r.number("p99Ms"),
                    r.number("p999Ms"), r.number("maxMs"), r.number("serverCpuSPerMillion")));
            StringBuilder extra = new StringBuilder();
            for (String key : List.of("error", "heapPerConnectionBytes", "rssPerConnectionBytes", "closedWhileIdle",
                    "allLiveMs", "notRecovered", "slowClosedByServer", "slowCloseCode", "p99VsBaseline",
                    "firstFailingRate", "unexpectedCloses", "publishErrors")) {
                Object v = r.fields.get(key);
                if (v != null && !(v instanceof Number n && n.doubleValue() == 0 && !key.startsWith("slow"))) {
                    extra.append(' ').append(key).append('=').append(v instanceof Double d
                            ? String.format(Locale.ROOT, "%.1f", d) : v);
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
        return t.toString();
    }

    private static double or(RunResult r, String key, String fallback) {
        double v = r.number(key);
        return Double.isNaN(v) ? r.number(fallback) : v;
    }
}
