package dev.herald.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import dev.herald.netty.TestCertificate;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the server as operators do, in its own JVM: environment variables, the one start line, SIGTERM.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HeraldMainProcessTest {
    private static final Pattern LISTENING =
            Pattern.compile("Herald listening on (http://127\\.0\\.0\\.1:(\\d+)) \\(WebSocket ws://127\\.0\\.0\\.1:\\d+/ws\\)");

    private static Process launch(Map<String, String> env, String... args) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new java.util.ArrayList<>(List.of(java.toString(), "-cp",
                System.getProperty("java.class.path"), HeraldMain.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("HERALD_"));
        pb.environment().putAll(env);
        return pb.start();
    }

    /** Reads the process's output lines on a thread of their own, so waiting for a line is bounded. */
    private static BlockingQueue<String> lines(Process process) {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("read failed: " + e);
            }
        }, "server-output");
        reader.setDaemon(true);
        reader.start();
        return lines;
    }

    private static String awaitLine(BlockingQueue<String> lines, String contains, StringBuilder seen)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            String line = lines.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (line == null) {
                break;
            }
            seen.append(line).append('\n');
            if (line.contains(contains)) {
                return line;
            }
        }
        throw new AssertionError("no line containing '" + contains + "'; output so far:\n" + seen);
    }

    @Test
    void configuredByEnvironmentLogsOneStartLineAndStopsGracefullyOnSigterm() throws Exception {
        Process process = launch(Map.of("HERALD_HOST", "127.0.0.1", "HERALD_PORT", "0",
                "HERALD_SHUTDOWN_TIMEOUT", "3s"));
        try {
            BlockingQueue<String> lines = lines(process);
            StringBuilder seen = new StringBuilder();
            String started = awaitLine(lines, "Herald listening on", seen);
            Matcher m = LISTENING.matcher(started);
            assertTrue(m.find(), started);
            assertEquals(1, seen.toString().split("\n").length, "one line on start:\n" + seen);
            URI base = URI.create(m.group(1));

            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(base.resolve("/health"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode(), health.body());

            // SIGTERM, through the handle: Process.destroy() would also close our end of its output.
            assertTrue(process.toHandle().destroy());
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), "exits after SIGTERM");
            awaitLine(lines, "Herald stopping (waiting up to 3s", seen);
            awaitLine(lines, "Herald stopped", seen);
            assertFalse(seen.toString().contains("Exception"), seen.toString());
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void theTlsFilesFromTheEnvironmentServeHttpsAndTheStartLineNamesTheProvider(@TempDir Path dir)
            throws Exception {
        TestCertificate certificate = TestCertificate.create(dir);
        Process process = launch(Map.of("HERALD_HOST", "127.0.0.1", "HERALD_PORT", "0",
                "HERALD_TLS_CERT_FILE", certificate.certificateFile().toString(),
                "HERALD_TLS_KEY_FILE", certificate.privateKeyFile().toString()));
        try {
            BlockingQueue<String> lines = lines(process);
            StringBuilder seen = new StringBuilder();
            String started = awaitLine(lines, "Herald listening on", seen);
            Matcher m = Pattern.compile("Herald listening on (https://127\\.0\\.0\\.1:(\\d+)) \\(WebSocket "
                    + "wss://127\\.0\\.0\\.1:\\2/ws; TLS by (the JDK|OpenSSL)\\)").matcher(started);
            assertTrue(m.find(), started);
            assertEquals(1, seen.toString().split("\n").length, "one line on start:\n" + seen);

            HttpClient https = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .sslContext(certificate.clientContext()).connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> health = https.send(HttpRequest.newBuilder(URI.create(m.group(1)).resolve("/health"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode(), health.body());

            assertTrue(process.toHandle().destroy());
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), "exits after SIGTERM");
            awaitLine(lines, "Herald stopped", seen);
            assertFalse(seen.toString().contains("Exception"), seen.toString());
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void aTlsCertificateWithoutItsKeyExitsWithTwo(@TempDir Path dir) throws Exception {
        TestCertificate certificate = TestCertificate.create(dir);
        Process process = launch(Map.of("HERALD_HOST", "127.0.0.1", "HERALD_PORT", "0",
                "HERALD_TLS_CERT_FILE", certificate.certificateFile().toString()));
        try {
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), "exits at once");
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(2, process.exitValue(), output);
            assertTrue(output.contains("Option '--tls-cert-file' needs '--tls-key-file' too"), output);
            assertFalse(output.contains("\tat "), output);
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void aBadEnvironmentValueNamesTheOptionAndExitsWithTwo() throws Exception {
        Process process = launch(Map.of("HERALD_MAX_FRAME_BYTES", "a lot", "HERALD_PORT", "0",
                "HERALD_HOST", "127.0.0.1"));
        try {
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), "exits at once");
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(2, process.exitValue(), output);
            assertTrue(output.contains("--max-frame-bytes"), output);
            assertTrue(output.contains("'a lot'"), output);
            assertFalse(output.contains("\tat "), output);
        } finally {
            process.destroyForcibly();
        }
    }
}
