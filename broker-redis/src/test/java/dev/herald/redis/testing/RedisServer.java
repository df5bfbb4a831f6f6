package dev.herald.redis.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * One real {@code redis-server} process for tests, on a free loopback port and in a private temporary directory.
 *
 * <p>The directory outlives {@link #kill()}, {@link #stop()} and {@link #restart()}, so a restart sees exactly
 * what the previous run persisted (with {@link Options#appendOnly(boolean) AOF} on) or nothing at all (with it
 * off). {@link #close()} removes the process and the directory. Every process is also killed by a JVM shutdown
 * hook, so a test that forgets to close, or a JVM that exits abruptly, does not leave servers behind.
 *
 * <p>Instances are safe to use from several threads; lifecycle methods are serialised.
 */
public final class RedisServer implements AutoCloseable {

    /** Upper bound for a server to answer PING after launch; AOF replay of test data is far quicker. */
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(10);
    /** Upper bound for a process to exit after SIGKILL or SHUTDOWN. */
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(10);
    /** Default bound for one {@code redis-cli} call, so a frozen server fails a test instead of hanging it. */
    private static final Duration CLI_TIMEOUT = Duration.ofSeconds(10);
    /** How long {@link #restart()} keeps trying when something else briefly holds the port. */
    private static final Duration RESTART_PORT_TIMEOUT = Duration.ofSeconds(5);
    /** Fresh ports tried by {@link #start(Options)} before giving up on a busy machine. */
    private static final int START_ATTEMPTS = 5;
    /** Redis Cluster always puts its bus on the data port plus this offset. */
    private static final int CLUSTER_BUS_OFFSET = 10000;
    private static final int MAX_PORT = 65535;
    private static final String LOOPBACK = "127.0.0.1";
    private static final String LOG_FILE = "redis.log";
    /** Catches what Redis prints before its log file is open, such as a rejected configuration option. */
    private static final String CONSOLE_FILE = "redis.console";
    private static final int LOG_TAIL_LINES = 40;

    /** Processes still alive, for the shutdown hook; a process leaves the set once it is known to be dead. */
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();
    /** Directories not yet deleted by {@link #close()}, removed by the shutdown hook after the processes die. */
    private static final Set<Path> DIRS = ConcurrentHashMap.newKeySet();

    /** Daemon threads drain redis-cli's pipes so a chatty command can never block on a full pipe. */
    private static final ExecutorService PUMPS = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "redis-cli-output");
        thread.setDaemon(true);
        return thread;
    });

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(RedisServer::reapAll, "redis-server-reaper"));
    }

    private final Options options;
    private final int port;
    private final Path dir;

    private Process process;
    private boolean frozen;
    private boolean closed;

    private RedisServer(Options options, int port, Path dir) {
        this.options = options;
        this.port = port;
        this.dir = dir;
    }

    /**
     * Starts a plain, non-persistent server.
     *
     * @return a running server that has answered PING
     * @throws IllegalStateException if Redis cannot be started
     */
    public static RedisServer start() {
        return start(Options.defaults());
    }

    /**
     * Starts a server with the given options on a fresh free port.
     *
     * @param options how to configure the server
     * @return a running server that has answered PING
     * @throws IllegalStateException if Redis cannot be started
     */
    public static RedisServer start(Options options) {
        IllegalStateException last = null;
        // A port found free can be taken by someone else before Redis binds it, so a clash earns a fresh port.
        for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
            int port = freePort(options.isClusterEnabled());
            Path dir = createDir();
            RedisServer server = new RedisServer(options, port, dir);
            try {
                synchronized (server) {
                    server.launch();
                }
                return server;
            } catch (PortInUseException e) {
                last = e;
                server.close();
            } catch (RuntimeException e) {
                server.close();
                throw e;
            }
        }
        throw new IllegalStateException("no free port for redis-server after " + START_ATTEMPTS + " attempts", last);
    }

    /**
     * The server's port on 127.0.0.1; it stays the same across {@link #restart()}.
     *
     * @return the TCP port
     */
    public int port() {
        return port;
    }

    /**
     * The server's address for clients such as Lettuce.
     *
     * @return {@code redis://127.0.0.1:PORT}
     */
    public String uri() {
        return "redis://" + LOOPBACK + ":" + port;
    }

    /**
     * The server's private working directory, holding its AOF or RDB files, its log and cluster state.
     *
     * @return the directory, which exists until {@link #close()}
     */
    public Path dir() {
        return dir;
    }

    /**
     * The options this server was started with, which {@link #restart()} reuses.
     *
     * @return the options
     */
    public Options options() {
        return options;
    }

    /**
     * The operating system's id for the current (or most recent) redis-server process.
     *
     * @return the process id
     */
    public synchronized long pid() {
        if (process == null) {
            throw new IllegalStateException("redis-server on port " + port + " has no process");
        }
        return process.pid();
    }

    /**
     * Tells whether the process is alive; a {@linkplain #freeze() frozen} process is alive.
     *
     * @return {@code true} while the redis-server process exists
     */
    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /**
     * Kills the process with SIGKILL, as a crash would, and waits for it to exit. Nothing is flushed beyond what
     * Redis already wrote. Does nothing if it is not running.
     *
     * @throws IllegalStateException if the process does not exit in time
     */
    public synchronized void kill() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        awaitExit(process);
        frozen = false;
    }

    /**
     * Shuts the server down gracefully with {@code SHUTDOWN} ({@code SHUTDOWN NOSAVE} without AOF, so no RDB
     * snapshot is written) and waits for it to exit, killing it if it does not. Does nothing if it is not running.
     */
    public synchronized void stop() {
        if (!isRunning()) {
            return;
        }
        if (frozen) {
            // A stopped process cannot read the SHUTDOWN command, so it would only time out.
            thaw();
        }
        try {
            if (options.isAppendOnly()) {
                cli("SHUTDOWN");
            } else {
                cli("SHUTDOWN", "NOSAVE");
            }
        } catch (IllegalStateException e) {
            // redis-cli may report the connection closing under it; whether the process exits is what matters.
        }
        try {
            if (process.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                LIVE.remove(process);
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        kill();
    }

    /**
     * Starts the server again on the same port, in the same directory, with the same options, stopping it
     * gracefully first if it is still running. With AOF on, the data written before comes back.
     *
     * @throws IllegalStateException if the server cannot be started again
     */
    public synchronized void restart() {
        ensureOpen();
        stop();
        long deadline = System.nanoTime() + RESTART_PORT_TIMEOUT.toNanos();
        while (true) {
            try {
                launch();
                return;
            } catch (PortInUseException e) {
                // Our own port cannot be swapped for another, so wait for whoever briefly holds it to let go.
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("port " + port + " stayed in use for " + RESTART_PORT_TIMEOUT, e);
                }
                sleep(Duration.ofMillis(100));
            }
        }
    }

    /**
     * Suspends the process with SIGSTOP, so it keeps its sockets but answers nothing, as a hung server would.
     *
     * @throws IllegalStateException if the server is not running
     */
    public synchronized void freeze() {
        signal("STOP");
        frozen = true;
    }

    /**
     * Resumes a {@linkplain #freeze() frozen} process with SIGCONT; it then answers what queued up meanwhile.
     *
     * @throws IllegalStateException if the server is not running
     */
    public synchronized void thaw() {
        signal("CONT");
        frozen = false;
    }

    /**
     * Runs {@code redis-cli -h 127.0.0.1 -p PORT args...} with a 10 second bound. Options such as {@code -c} may
     * lead the arguments. Without a terminal, redis-cli prints raw replies: a nil is an empty line.
     *
     * @param args the command and its arguments, optionally preceded by redis-cli options
     * @return standard output, trimmed
     * @throws IllegalStateException if redis-cli exits non-zero, or does not finish in time
     */
    public String cli(String... args) {
        return cli(CLI_TIMEOUT, args);
    }

    /**
     * Runs {@code redis-cli -h 127.0.0.1 -p PORT args...} with the given bound, for slow commands such as
     * {@code --cluster create}.
     *
     * @param timeout how long redis-cli may run before it is killed
     * @param args the command and its arguments, optionally preceded by redis-cli options
     * @return standard output, trimmed
     * @throws IllegalStateException if redis-cli exits non-zero, or does not finish in time
     */
    public String cli(Duration timeout, String... args) {
        List<String> command = new ArrayList<>();
        command.add(RedisAvailability.executable("redis-cli"));
        command.addAll(List.of("-h", LOOPBACK, "-p", Integer.toString(port)));
        command.addAll(Arrays.asList(args));
        return exec(command, timeout);
    }

    /**
     * Sends a raw {@code PING} over a fresh socket.
     *
     * @param timeout bound for connecting and for the reply
     * @return {@code true} if the server replied {@code +PONG} in time
     */
    public boolean ping(Duration timeout) {
        return ping(port, timeout);
    }

    /**
     * Kills the process if it is running and deletes the directory. Calling it again does nothing.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            kill();
        } finally {
            deleteRecursively(dir);
            DIRS.remove(dir);
        }
    }

    @Override
    public String toString() {
        return "RedisServer[" + LOOPBACK + ":" + port + ", " + dir + "]";
    }

    private void launch() {
        ensureOpen();
        long logStart = size(dir.resolve(LOG_FILE));
        long consoleStart = size(dir.resolve(CONSOLE_FILE));
        ProcessBuilder builder = new ProcessBuilder(command())
                .directory(dir.toFile())
                .redirectInput(Redirect.from(Path.of("/dev/null").toFile()))
                .redirectErrorStream(true)
                .redirectOutput(Redirect.appendTo(dir.resolve(CONSOLE_FILE).toFile()));
        Process started;
        try {
            started = builder.start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot run redis-server; is it installed (apt-get install redis-server)?",
                    e);
        }
        LIVE.add(started);
        process = started;
        frozen = false;
        awaitReady(started, logStart, consoleStart);
    }

    private List<String> command() {
        List<String> command = new ArrayList<>();
        command.add(RedisAvailability.executable("redis-server"));
        command.addAll(List.of(
                "--bind", LOOPBACK,
                "--port", Integer.toString(port),
                "--dir", dir.toString(),
                "--daemonize", "no",
                "--protected-mode", "no",
                // No RDB snapshots in either mode: without AOF a restart must lose everything, and with AOF the
                // log alone is the durable state under test.
                "--save", "",
                "--logfile", dir.resolve(LOG_FILE).toString()));
        if (options.isAppendOnly()) {
            command.addAll(List.of("--appendonly", "yes", "--appendfsync", "always"));
        } else {
            command.addAll(List.of("--appendonly", "no"));
        }
        if (options.isClusterEnabled()) {
            command.addAll(List.of(
                    "--cluster-enabled", "yes",
                    "--cluster-config-file", dir.resolve("nodes.conf").toString(),
                    "--cluster-node-timeout", "2000"));
        }
        // Last, so a test can override any default above.
        for (String line : options.extraConfigLines()) {
            List<String> words = splitConfigLine(line);
            if (!words.isEmpty()) {
                command.add("--" + words.get(0));
                command.addAll(words.subList(1, words.size()));
            }
        }
        return command;
    }

    private void awaitReady(Process started, long logStart, long consoleStart) {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (true) {
            if (!started.isAlive()) {
                LIVE.remove(started);
                String output = readFrom(dir.resolve(LOG_FILE), logStart)
                        + readFrom(dir.resolve(CONSOLE_FILE), consoleStart);
                if (output.contains("Address already in use")) {
                    throw new PortInUseException("port " + port + " or its cluster bus is in use:\n" + output);
                }
                throw new IllegalStateException("redis-server on port " + port + " exited with status "
                        + started.exitValue() + ":\n" + output);
            }
            // PING answers -LOADING while an AOF is replayed, so only +PONG means ready.
            if (ping(port, Duration.ofMillis(250))) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                started.destroyForcibly();
                awaitExit(started);
                throw new IllegalStateException("redis-server on port " + port + " did not answer PING within "
                        + READY_TIMEOUT + "; log tail:\n" + logTail());
            }
            sleep(Duration.ofMillis(25));
        }
    }

    private void signal(String signal) {
        if (!isRunning()) {
            throw new IllegalStateException("redis-server on port " + port + " is not running");
        }
        exec(List.of("kill", "-" + signal, Long.toString(process.pid())), CLI_TIMEOUT);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    private String logTail() {
        String log = readFrom(dir.resolve(LOG_FILE), 0) + readFrom(dir.resolve(CONSOLE_FILE), 0);
        List<String> lines = log.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
    }

    private static void awaitExit(Process process) {
        try {
            if (!process.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("redis-server pid " + process.pid() + " did not exit within "
                        + EXIT_TIMEOUT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for redis-server pid " + process.pid(), e);
        }
        LIVE.remove(process);
    }

    static boolean ping(int port, Duration timeout) {
        int millis = (int) Math.max(1, timeout.toMillis());
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(LOOPBACK, port), millis);
            socket.setSoTimeout(millis);
            OutputStream out = socket.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] expected = "+PONG".getBytes(StandardCharsets.US_ASCII);
            for (byte b : expected) {
                if (in.read() != b) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Finds a port free on 127.0.0.1; for cluster nodes, one whose bus port (port + 10000) is free and valid too.
     */
    private static int freePort(boolean withClusterBus) {
        InetAddress loopback = loopback();
        for (int attempt = 0; attempt < 200; attempt++) {
            try (ServerSocket socket = new ServerSocket(0, 1, loopback)) {
                int port = socket.getLocalPort();
                if (!withClusterBus) {
                    return port;
                }
                int bus = port + CLUSTER_BUS_OFFSET;
                // Ephemeral ports run up to 60999 on Linux, so roughly a fifth of them have no valid bus port.
                if (bus <= MAX_PORT && isFree(bus, loopback)) {
                    return port;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot probe for a free port", e);
            }
        }
        throw new IllegalStateException("no free port pair for a Redis Cluster node");
    }

    private static boolean isFree(int port, InetAddress address) {
        try (ServerSocket socket = new ServerSocket(port, 1, address)) {
            return socket.isBound();
        } catch (IOException e) {
            return false;
        }
    }

    private static InetAddress loopback() {
        try {
            return InetAddress.getByName(LOOPBACK);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path createDir() {
        try {
            Path dir = Files.createTempDirectory("herald-redis-");
            DIRS.add(dir);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a directory for redis-server", e);
        }
    }

    /**
     * Splits a redis.conf-style line into words, honouring double and single quotes, so that {@code save ""}
     * passes a real empty argument; redis-server quotes each argument again itself.
     */
    static List<String> splitConfigLine(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    word.append(c);
                }
            } else if (c == '"' || c == '\'') {
                quote = c;
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (quote != 0) {
            throw new IllegalArgumentException("unbalanced quote in Redis config line: " + line);
        }
        if (inWord) {
            words.add(word.toString());
        }
        return words;
    }

    private static String exec(List<String> command, Duration timeout) {
        Process process;
        try {
            process = new ProcessBuilder(command).redirectInput(Redirect.from(Path.of("/dev/null").toFile())).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command.get(0), e);
        }
        CompletableFuture<String> stdout = drain(process.getInputStream());
        CompletableFuture<String> stderr = drain(process.getErrorStream());
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                throw new IllegalStateException(String.join(" ", command) + " did not finish within " + timeout);
            }
            // The pipes close when the process exits, so these complete promptly.
            String out = stdout.get(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            String err = stderr.get(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited with status "
                        + process.exitValue() + ": " + err.trim() + (out.isBlank() ? "" : "\n" + out.trim()));
            }
            return out.trim();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + String.join(" ", command), e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot read the output of " + String.join(" ", command), e);
        }
    }

    private static CompletableFuture<String> drain(InputStream stream) {
        return CompletableFuture.supplyAsync(() -> {
            try (stream) {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, PUMPS);
    }

    private static long size(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static String readFrom(Path file, long offset) {
        try {
            if (!Files.exists(file)) {
                return "";
            }
            byte[] bytes = Files.readAllBytes(file);
            int from = (int) Math.min(offset, bytes.length);
            return new String(bytes, from, bytes.length - from, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")\n";
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for redis-server", e);
        }
    }

    private static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root, e);
        }
    }

    /** Runs at JVM exit: anything a test failed to close must not outlive the build. */
    private static void reapAll() {
        List<Process> processes = new ArrayList<>(LIVE);
        processes.forEach(Process::destroyForcibly);
        for (Process process : processes) {
            try {
                process.waitFor(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        for (Path dir : new ArrayList<>(DIRS)) {
            try {
                deleteRecursively(dir);
            } catch (UncheckedIOException e) {
                // Best effort only: the JVM is exiting and a leftover temp directory is harmless.
            }
        }
    }

    /** A clash on the port, which a fresh port (or, on restart, a short wait) can cure. */
    private static final class PortInUseException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        PortInUseException(String message) {
            super(message);
        }
    }

    /**
     * How to configure a {@link RedisServer}; immutable, each setter returns a changed copy.
     *
     * <pre>{@code
     * RedisServer.start(RedisServer.Options.defaults().appendOnly(true).extraConfig("maxmemory 64mb"))
     * }</pre>
     */
    public static final class Options {

        private static final Options DEFAULTS = new Options(false, false, List.of());

        private final boolean appendOnly;
        private final boolean clusterEnabled;
        private final List<String> extraConfig;

        private Options(boolean appendOnly, boolean clusterEnabled, List<String> extraConfig) {
            this.appendOnly = appendOnly;
            this.clusterEnabled = clusterEnabled;
            this.extraConfig = extraConfig;
        }

        /**
         * A standalone server that persists nothing.
         *
         * @return the default options
         */
        public static Options defaults() {
            return DEFAULTS;
        }

        /**
         * Turns the append-only file on ({@code appendfsync always}, so even {@link RedisServer#kill()} loses no
         * acknowledged write) or off (nothing survives a restart).
         *
         * @param enabled whether to write an AOF
         * @return a copy with the change
         */
        public Options appendOnly(boolean enabled) {
            return new Options(enabled, clusterEnabled, extraConfig);
        }

        /**
         * Turns Redis Cluster mode on, with its state file in the server's directory and a 2 second node timeout.
         *
         * @param enabled whether the server is a cluster node
         * @return a copy with the change
         */
        public Options clusterEnabled(boolean enabled) {
            return new Options(appendOnly, enabled, extraConfig);
        }

        /**
         * Adds redis.conf lines, such as {@code "maxmemory 64mb"}, applied after (and so overriding) the harness's
         * own settings. Quotes work as in redis.conf, so {@code "save \"\""} gives an empty value.
         *
         * @param lines configuration lines, each a directive followed by its arguments
         * @return a copy with the lines appended to any added before
         */
        public Options extraConfig(String... lines) {
            List<String> all = new ArrayList<>(extraConfig);
            for (String line : lines) {
                // Parsed now so a bad line fails where the test wrote it, not later inside start().
                splitConfigLine(line);
                all.add(line);
            }
            return new Options(appendOnly, clusterEnabled, Collections.unmodifiableList(all));
        }

        /**
         * Tells whether the append-only file is on.
         *
         * @return {@code true} with AOF
         */
        public boolean isAppendOnly() {
            return appendOnly;
        }

        /**
         * Tells whether the server is a cluster node.
         *
         * @return {@code true} in cluster mode
         */
        public boolean isClusterEnabled() {
            return clusterEnabled;
        }

        /**
         * The lines added with {@link #extraConfig(String...)}.
         *
         * @return an unmodifiable list, in the order added
         */
        public List<String> extraConfigLines() {
            return extraConfig;
        }

        @Override
        public String toString() {
            return "Options[appendOnly=" + appendOnly + ", clusterEnabled=" + clusterEnabled + ", extraConfig="
                    + extraConfig + "]";
        }
    }
}
