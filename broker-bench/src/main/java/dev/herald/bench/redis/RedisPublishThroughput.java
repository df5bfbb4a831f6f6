package dev.herald.bench.redis;

import dev.herald.core.Broker;
import dev.herald.core.PublishResult;
import dev.herald.core.policy.HistoryPolicy;
import dev.herald.redis.PayloadCodec;
import dev.herald.redis.RedisEngine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Publishes per second through the Redis engine against {@code redis-benchmark} calling the same Redis function
 * with the same arguments and the same pipelining, in the same run, on a redis-server this benchmark starts: Redis
 * executes the function in both, so the ratio is what the engine (Lettuce, argument encoding, futures, the broker)
 * keeps of what Redis can do. One connection with {@code --window} calls in flight on each side: Herald's publishes
 * share the engine's one command connection, {@code redis-benchmark -c 1 -P window}.
 *
 * <p>Rounds alternate the two, so that a slow spell of the machine hits both; the median of each is reported. With
 * more than one topic, redis-benchmark's calls all use one topic's keys (see {@code runRedisBenchmark}).
 *
 * <pre>
 * java -cp broker-bench/target/benchmarks.jar dev.herald.bench.redis.RedisPublishThroughput \
 *     [--seconds 5] [--rounds 3] [--window 64] [--payload 128] [--history 100] [--topics 1,1000]
 * </pre>
 */
public final class RedisPublishThroughput {
    private RedisPublishThroughput() {
    }

    /**
     * Runs the comparison and prints one table row per topic count.
     *
     * @param args see the class comment
     * @throws Exception if Redis cannot be started or a run fails
     */
    public static void main(String[] args) throws Exception {
        double seconds = 5;
        int rounds = 3;
        int window = 64;
        int payloadBytes = 128;
        int history = 100;
        List<Integer> topicCounts = List.of(1, 1000);
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--window" -> window = Integer.parseInt(args[++i]);
                case "--payload" -> payloadBytes = Integer.parseInt(args[++i]);
                case "--history" -> history = Integer.parseInt(args[++i]);
                case "--topics" -> topicCounts = Arrays.stream(args[++i].split(",")).map(Integer::parseInt).toList();
                default -> throw new IllegalArgumentException("unknown flag " + args[i]);
            }
        }
        String payload = "\"" + "x".repeat(Math.max(0, payloadBytes - 2)) + "\"";
        try (RedisProcess redis = RedisProcess.start()) {
            RedisEngine<String> engine = RedisEngine.builder(PayloadCodec.utf8()).uri(redis.uri()).keyPrefix("bench")
                    .build();
            try (Broker<String> broker = Broker.<String>builder().history(HistoryPolicy.lastN(history))
                    .engine(engine).build()) {
                System.out.printf(Locale.ROOT, "redis-server %s, window %d, payload %d bytes, history %d per topic, "
                        + "%d rounds of %.1f s%n", redis.version(), window, payloadBytes, history, rounds, seconds);
                System.out.println("| topics | Herald publishes/s | redis-benchmark calls/s | ratio |");
                System.out.println("|---|---|---|---|");
                for (int topics : topicCounts) {
                    // Warm both up: the JIT (C2 needs a few seconds of this loop), Redis's keys and its memory.
                    // Long enough, too, for every topic to fill its history, so that each call trims as in steady use.
                    herald(broker, topics, window, payload, Math.max(5.0, seconds));
                    redisBenchmark(redis, topics, window, payload, history, 1.0);
                    double[] ours = new double[rounds];
                    double[] theirs = new double[rounds];
                    for (int r = 0; r < rounds; r++) {
                        ours[r] = herald(broker, topics, window, payload, seconds);
                        theirs[r] = redisBenchmark(redis, topics, window, payload, history, seconds);
                    }
                    double oursMedian = median(ours);
                    double theirsMedian = median(theirs);
                    System.out.printf(Locale.ROOT, "| %d | %.0f (rounds %s) | %.0f (rounds %s) | %.2fx |%n", topics,
                            oursMedian, format(ours), theirsMedian, format(theirs), oursMedian / theirsMedian);
                }
            }
        }
    }

    /** Publishes for {@code seconds} with {@code window} publishes in flight; returns accepted publishes/s. */
    static double herald(Broker<String> broker, int topics, int window, String payload, double seconds)
            throws InterruptedException {
        Semaphore inFlight = new Semaphore(window);
        AtomicLong accepted = new AtomicLong();
        AtomicReference<PublishResult> refused = new AtomicReference<>();
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        long n = 0;
        while (System.nanoTime() < end) {
            inFlight.acquire();
            String topic = topics == 1 ? "bench.t" : "bench.t" + (n % topics);
            n++;
            broker.publish(topic, payload).whenComplete((result, failure) -> {
                if (result != null && result.accepted()) {
                    accepted.incrementAndGet();
                } else {
                    refused.compareAndSet(null, result);
                }
                inFlight.release();
            });
        }
        inFlight.acquire(window);
        double elapsed = (System.nanoTime() - start) / 1e9;
        if (refused.get() != null) {
            throw new IllegalStateException("a publish was refused: " + refused.get());
        }
        return accepted.get() / elapsed;
    }

    /** Runs redis-benchmark on the same function, for about {@code seconds}; returns its calls/s. */
    static double redisBenchmark(RedisProcess redis, int topics, int window, String payload, int history,
                                 double seconds) throws IOException, InterruptedException {
        // One short probe sizes the run so that it lasts about as long as Herald's.
        double probe = runRedisBenchmark(redis, topics, window, payload, history, 20_000);
        long requests = Math.max(20_000, (long) (probe * seconds));
        return runRedisBenchmark(redis, topics, window, payload, history, requests);
    }

    private static double runRedisBenchmark(RedisProcess redis, int topics, int window, String payload,
                                            int history, long requests) throws IOException, InterruptedException {
        // redis-benchmark draws every __rand_int__ of a command on its own, so the three keys of one call cannot
        // name the same random topic (a stream fed by another topic's offsets refuses them). With many topics the
        // keys stay those of one topic and only the channel names are drawn: the same work in Redis, one hash,
        // one stream and two publishes per call; Herald's own run publishes to that many real topics.
        String topic = "bench.b";
        String channel = topics == 1 ? topic : "bench.b__rand_int__";
        Instant now = Instant.now();
        long nanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        List<String> command = new ArrayList<>(List.of("redis-benchmark", "-h", "127.0.0.1",
                "-p", String.valueOf(redis.port()), "-c", "1", "-P", String.valueOf(window),
                "-n", String.valueOf(requests), "--csv"));
        if (topics > 1) {
            command.addAll(List.of("-r", String.valueOf(topics)));
        }
        // The arguments the engine sends for one publish (see RedisTopicEngine.publishArgs).
        command.addAll(List.of("FCALL", "herald_1_publish", "3",
                "bench:{" + topic + "}:m", "bench:{" + topic + "}:s", "bench:{" + topic + "}:g",
                "bench:{" + channel + "}", "bench:p:" + channel, "rbenchepoch", "1", String.valueOf(history), "0", "-1",
                String.valueOf(TimeUnit.DAYS.toMillis(30)), String.valueOf(nanos), String.valueOf(nanos / 1000), "1",
                String.valueOf(payload.length()), payload));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0) {
            throw new IllegalStateException("redis-benchmark failed: " + output);
        }
        // --csv: a header line, then "test","rps",...
        for (String line : output.split("\n")) {
            if (line.startsWith("\"FCALL")) {
                return Double.parseDouble(line.split(",")[1].replace("\"", ""));
            }
        }
        throw new IllegalStateException("no rate in redis-benchmark's output: " + output);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static String format(double[] values) {
        StringBuilder sb = new StringBuilder();
        for (double v : values) {
            sb.append(sb.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.0f", v));
        }
        return sb.toString();
    }
}
