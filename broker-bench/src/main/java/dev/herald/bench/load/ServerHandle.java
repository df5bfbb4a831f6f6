package dev.herald.bench.load;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server under test, seen from the generator: where to connect and, when its process id is known, its CPU
 * time ({@code /proc/<pid>/stat}), resident memory ({@code /proc/<pid>/status}) and heap after a full GC
 * ({@code jcmd}). Either a process the generator spawned (and stops), or an external server given by URL.
 */
class ServerHandle implements AutoCloseable {
    private static final long CLOCK_TICKS_PER_SECOND = 100; // Linux USER_HZ on x86-64
    private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");
    /** Processes the generator started and has not yet stopped, for the shutdown hook. */
    private static final Set<ProcessHandle> CHILDREN = ConcurrentHashMap.newKeySet();

    static {
        // A generator stopped with Ctrl-C or SIGTERM, or one that fails between starting and closing a server, must
        // not leave servers (or redis-server) running; SIGKILL of the generator itself cannot be helped.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> CHILDREN.forEach(ProcessHandle::destroyForcibly),
                "load-process-reaper"));
    }

    final String name;
    final URI websocket;
    final long pid;

    ServerHandle(String name, URI websocket, long pid) {
        this.name = name;
        this.websocket = websocket;
        this.pid = pid;
    }

    /**
     * Where subscribers connect: subscriber {@code i} to {@code nodes().get(i % size)}. One URI but for a server of
     * several nodes, whose first is {@link #websocket}.
     */
    List<URI> nodes() {
        return List.of(websocket);
    }

    /** CPU seconds used so far by the store the nodes share (redis-server), or -1 if there is none. */
    double storeCpuSeconds() {
        return -1;
    }

    /** Kills node {@code index} at once (SIGKILL), as a crash would; only servers of several nodes can. */
    void killNode(int index) throws InterruptedException {
        throw new UnsupportedOperationException(name + " has no nodes to kill");
    }

    /** Whether the process is still running; an external server counts as running. */
    boolean alive() {
        return true;
    }

    /** Registers a process the generator started, so that the shutdown hook kills it if still running. */
    static void adopt(ProcessHandle child) {
        CHILDREN.add(child);
    }

    /** Unregisters a process once it has been stopped. */
    static void release(ProcessHandle child) {
        CHILDREN.remove(child);
    }

    /** User plus system CPU seconds used by the server process so far, or -1 if unknown. */
    double cpuSeconds() {
        return cpuSeconds(pid);
    }

    /** User plus system CPU seconds used by process {@code pid} so far, or -1 if unknown. */
    static double cpuSeconds(long pid) {
        if (pid <= 0) {
            return -1;
        }
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            return ticks / (double) CLOCK_TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Resident set size in bytes, or -1 if unknown. */
    long rssBytes() {
        if (pid <= 0) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** Heap in use after two full collections ({@code jcmd GC.run}), in bytes, or -1 if unknown. */
    long heapUsedAfterGc() {
        if (pid <= 0) {
            return -1;
        }
        try {
            jcmd("GC.run");
            jcmd("GC.run");
            Matcher m = HEAP_USED.matcher(jcmd("GC.heap_info"));
            return m.find() ? Long.parseLong(m.group(1)) * 1024 : -1;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /**
     * Live objects by class ({@code jcmd GC.class_histogram}, which collects first): class name to
     * {instances, bytes}. Empty if unknown.
     */
    java.util.Map<String, long[]> classHistogram() {
        java.util.Map<String, long[]> histogram = new java.util.HashMap<>();
        if (pid <= 0) {
            return histogram;
        }
        try {
            for (String line : jcmd("GC.class_histogram").split("\n")) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 4 && f[0].endsWith(":")) {
                    histogram.put(f[3], new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])});
                }
            }
        } catch (IOException | RuntimeException e) {
            histogram.clear();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return histogram;
    }

    private String jcmd(String command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("jcmd", Long.toString(pid), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        return out;
    }

    @Override
    public void close() {
    }

    /**
     * Starts a server in a new JVM from the generator's own class path and waits for its {@code LISTENING port}
     * line. The child's further output is copied to {@code stderr} with a prefix.
     */
    static Spawned spawn(String name, String mainClass, List<String> jvmArgs, List<String> args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass);
        command.addAll(args);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        adopt(process.toHandle());
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Thread pump = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    if (!port.isDone() && line.startsWith("LISTENING ")) {
                        port.complete(Integer.parseInt(line.split(" ")[1]));
                    }
                    System.err.println("[" + name + "] " + line);
                }
            } catch (IOException | RuntimeException e) {
                port.completeExceptionally(e);
            }
            port.completeExceptionally(new IOException(name + " exited before listening"));
        }, name + "-output");
        pump.setDaemon(true);
        pump.start();
        try {
            int bound = port.get(60, TimeUnit.SECONDS);
            return new Spawned(name, URI.create("ws://127.0.0.1:" + bound + "/ws"), process);
        } catch (Exception e) {
            process.destroyForcibly();
            release(process.toHandle());
            throw new IOException("could not start " + name + ": " + e, e);
        }
    }

    /** A server process this generator started. */
    static final class Spawned extends ServerHandle {
        private final Process process;

        Spawned(String name, URI websocket, Process process) {
            super(name, websocket, process.pid());
            this.process = process;
        }

        @Override
        boolean alive() {
            return process.isAlive();
        }

        /** SIGKILL, then waits until the process is gone, so that its sockets are closed when this returns. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            release(process.toHandle());
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            if (!process.isAlive()) {
                release(process.toHandle());
            }
        }
    }
}
