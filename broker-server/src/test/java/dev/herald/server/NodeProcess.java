package dev.herald.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Herald node on Redis in a JVM of its own, started as operators start it (the {@code HeraldMain} main class on
 * this test's class path), so that a test can kill it as abruptly as a crash does.
 */
final class NodeProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("Herald node (\\S+) listening on "
            + "(http://127\\.0\\.0\\.1:\\d+) \\(WebSocket (ws://127\\.0\\.0\\.1:\\d+/ws)\\), "
            + "sharing topics through Redis");
    private static final int KEPT_LINES = 200;
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(10);
    /** Nodes not yet known to be dead, for the shutdown hook. */
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        // A test JVM that exits without closing them (a build stopped with Ctrl-C, say) must not leave nodes behind.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly),
                "node-process-reaper"));
    }

    private final String id;
    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    // Guarded by itself: the newest lines, for failure messages.
    private final Deque<String> recent = new ArrayDeque<>();
    private URI httpUri;
    private URI webSocketUri;

    private NodeProcess(String id, Process process) {
        this.id = id;
        this.process = process;
        LIVE.add(process);
        Thread reader = new Thread(this::readOutput, "node-" + id + "-output");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Launches a node listening on a free loopback port. It is not ready before {@link #awaitListening}.
     *
     * @param id       its node id
     * @param redisUri the Redis server it shares topics through
     * @return the launched process
     * @throws IOException if the JVM cannot be launched
     */
    static NodeProcess launch(String id, String redisUri) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>(List.of(java.toString(),
                // Several of these share a small machine with the test: a small heap and one GC thread each.
                "-Xmx256m", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), HeraldMain.class.getName(),
                "--host", "127.0.0.1", "--port", "0", "--redis", redisUri, "--node-id", id,
                "--history-count", "100000",
                // A load test of the engine from one machine: the per-connection and per-address limits are off.
                "--request-rate", "0", "--publish-rate", "0", "--connection-rate", "0",
                "--max-connections-per-address", "0"));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("HERALD_"));
        return new NodeProcess(id, pb.start());
    }

    private void readOutput() {
        try (BufferedReader r = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                remember(line);
                lines.add(line);
            }
        } catch (IOException e) {
            // A killed process's pipe may fail rather than end; its output so far is kept.
            remember("(output ended: " + e + ")");
        }
    }

    private void remember(String line) {
        synchronized (recent) {
            recent.addLast(line);
            if (recent.size() > KEPT_LINES) {
                recent.removeFirst();
            }
        }
    }

    /**
     * Waits for the start line and reads the node's addresses from it.
     *
     * @param timeout how long to wait
     * @throws AssertionError if the node exits or does not start in time
     */
    void awaitListening(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            String line = left > 0 ? lines.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)),
                    TimeUnit.NANOSECONDS) : null;
            if (line != null) {
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    if (!m.group(1).equals(id)) {
                        throw new AssertionError("node " + id + " started as " + m.group(1) + ": " + line);
                    }
                    httpUri = URI.create(m.group(2));
                    webSocketUri = URI.create(m.group(3));
                    return;
                }
            } else if (!process.isAlive() && lines.isEmpty()) {
                throw new AssertionError("node " + id + " exited with " + process.exitValue() + ":\n" + output());
            } else if (left <= 0) {
                throw new AssertionError("node " + id + " not listening within " + timeout + ":\n" + output());
            }
        }
    }

    String id() {
        return id;
    }

    /** The node's HTTP address, known once it listens. */
    URI httpUri() {
        return httpUri;
    }

    /** The node's WebSocket address, known once it listens. */
    URI webSocketUri() {
        return webSocketUri;
    }

    /**
     * Kills the node with SIGKILL, as a crash or {@code kill -9} would: no graceful close, no close frames.
     *
     * @throws AssertionError if it does not exit
     */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("node " + id + " still running after SIGKILL");
        }
        LIVE.remove(process);
    }

    /**
     * The newest lines the node printed.
     *
     * @return up to the last 200 lines
     */
    String output() {
        synchronized (recent) {
            return String.join("\n", recent);
        }
    }

    /** Kills the node if it still runs, and waits for it to be gone. */
    @Override
    public void close() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(this + " still running after SIGKILL");
            }
            LIVE.remove(process);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for " + this + " to exit", e);
        }
    }

    @Override
    public String toString() {
        return "node " + id + " (pid " + process.pid() + ", " + httpUri + ")";
    }
}
