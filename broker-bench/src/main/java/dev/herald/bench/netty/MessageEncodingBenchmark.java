package dev.herald.bench.netty;

import dev.herald.core.Message;
import dev.herald.netty.internal.JsonSupport;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encoding one delivered message frame, done once per message whatever the number of subscribers: the direct
 * path the server uses against the JSON generator it falls back to for ids that need escaping.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MessageEncodingBenchmark {
    private final byte[] data = ("{\"seq\":123456,\"sent\":1764180000000000000,\"pad\":\"" + "x".repeat(80) + "\"}")
            .getBytes(StandardCharsets.UTF_8);
    private final Message<byte[]> message =
            new Message<>("1tqouvhi47y41.7-123456", "prices.eu.btc", 123456, Instant.now(), data);

    @Benchmark
    public byte[] direct() {
        return JsonSupport.encodeMessage(message, data);
    }

    @Benchmark
    public byte[] generator() {
        return JsonSupport.encodeWithGenerator(message, data);
    }
}
