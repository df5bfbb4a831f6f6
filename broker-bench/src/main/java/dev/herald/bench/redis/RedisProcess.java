package dev.herald.bench.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A redis-server the benchmarks start on a free loopback port, without persistence, in a temporary directory, and
 * stop when closed. Needs Debian's {@code redis-server} package (or any {@code redis-server} on the PATH).
 */
public final class RedisProcess implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path dir;

    private RedisProcess(Process process, int port, Path dir) {
        this.process = process;
        this.port = port;
        this.dir = dir;
    }

    /**
     * Starts a redis-server and waits until it answers {@code PING}.
     *
     * @return the running server
     * @throws IOException           if redis-server cannot be launched
     * @throws InterruptedException  if interrupted while waiting for it
     * @throws IllegalStateException if it does not answer within 10 s
     */
    public static RedisProcess start() throws IOException, InterruptedException {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Path dir = Files.createTempDirectory("herald-bench-redis");
        Process process = new ProcessBuilder(List.of("redis-server", "--bind", "127.0.0.1", "--port",
                String.valueOf(port), "--dir", dir.toString(), "--save", "", "--appendonly", "no",
                "--daemonize", "no", "--logfile", dir.resolve("redis.log").toString()))
                .redirectErrorStream(true).start();
        RedisProcess redis = new RedisProcess(process, port, dir);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!redis.answers()) {
            if (System.nanoTime() > deadline || !process.isAlive()) {
                redis.close();
                throw new IllegalStateException("redis-server did not start on port " + port);
            }
            Thread.sleep(20);
        }
        return redis;
    }

    /**
     * The port it listens on.
     *
     * @return the port, on 127.0.0.1
     */
    public int port() {
        return port;
    }

    /**
     * Where clients connect.
     *
     * @return {@code redis://127.0.0.1:PORT}
     */
    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    /**
     * Its process id, for its CPU time.
     *
     * @return the process id
     */
    public long pid() {
        return process.pid();
    }

    /**
     * The installed redis-server's version.
     *
     * @return the version, for example {@code 7.0.15}
     * @throws IOException          if redis-server cannot be run
     * @throws InterruptedException if interrupted while waiting for it
     */
    public String version() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("redis-server", "--version").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor(10, TimeUnit.SECONDS);
        return out.replaceAll(".*v=([^ ]+).*", "$1");
    }

    private boolean answers() {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(500);
            OutputStream out = socket.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] reply = new byte[7];
            return in.readNBytes(reply, 0, 7) == 7 && new String(reply, StandardCharsets.US_ASCII).startsWith("+PONG");
        } catch (IOException e) {
            return false;
        }
    }

    /** Kills the server and deletes its directory. */
    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException ignored) {
            // A temporary directory left behind is harmless.
        }
    }
}
