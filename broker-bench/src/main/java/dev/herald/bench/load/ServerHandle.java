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
import java.util.concurrent.CompletableFuture;
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

    final String name;
    final URI websocket;
    final long pid;

    ServerHandle(String name, URI websocket, long pid) {
        this.name = name;
        this.websocket = websocket;
        this.pid = pid;
    }

    /** User plus system CPU seconds used by the server process so far, or -1 if unknown. */
    double cpuSeconds() {
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
    static ServerHandle spawn(String name, String mainClass, List<String> jvmArgs, List<String> args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass);
        command.addAll(args);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
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
            throw new IOException("could not start " + name + ": " + e, e);
        }
    }

    private static final class Spawned extends ServerHandle {
        private final Process process;

        Spawned(String name, URI websocket, Process process) {
            super(name, websocket, process.pid());
            this.process = process;
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
        }
    }
}
