package dev.herald.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.netty.TestCertificate;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code --tls-cert-file} and {@code --tls-key-file}: HTTPS and WSS with a made certificate, and every wrong file. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HeraldMainTlsTest {
    @TempDir
    static Path dir;

    private static TestCertificate ec;
    private static TestCertificate rsa;

    @BeforeAll
    static void makeCertificates() {
        ec = TestCertificate.create(dir, "EC");
        rsa = TestCertificate.create(dir, "RSA");
    }

    private record Run(int status, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> all = new java.util.ArrayList<>(List.of("--host", "127.0.0.1", "--port", "0"));
        all.addAll(List.of(args));
        int status = HeraldMain.commandLine(new PrintWriter(out, true), new PrintWriter(err, true))
                .execute(all.toArray(String[]::new));
        return new Run(status, out.toString(), err.toString());
    }

    private static HttpClient client(TestCertificate trusted) {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(trusted.clientContext())
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    private static HttpResponse<String> get(HttpClient client, URI uri) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static StandaloneServer startWith(TestCertificate certificate) {
        return HeraldMain.start("--host", "127.0.0.1", "--port", "0",
                "--tls-cert-file", certificate.certificateFile().toString(),
                "--tls-key-file", certificate.privateKeyFile().toString());
    }

    @Test
    void theTwoFlagsServeHttpsAndWssOnOnePort() throws Exception {
        try (StandaloneServer server = startWith(ec)) {
            int port = server.port();
            assertEquals(URI.create("https://127.0.0.1:" + port), server.httpUri());
            assertEquals(URI.create("wss://127.0.0.1:" + port + "/ws"), server.webSocketUri());
            HttpClient https = client(ec);
            HttpResponse<String> health = get(https, server.httpUri().resolve("/health"));
            assertEquals(200, health.statusCode(), health.body());
            assertEquals(HttpClient.Version.HTTP_1_1, health.version());

            HttpResponse<String> published = https.send(HttpRequest.newBuilder(server.httpUri().resolve("/publish"))
                    .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"topic\":\"secure\",\"data\":{\"n\":1}}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, published.statusCode(), published.body());
            HttpResponse<String> history = get(https, server.httpUri().resolve("/topics/secure/history"));
            assertEquals(200, history.statusCode(), history.body());
            assertEquals(List.of("{\"n\":1}"), TestJson.rawElements(history.body()).stream()
                    .map(m -> TestJson.rawField(m, "data")).toList());

            try (WsTestClient ws = WsTestClient.connect("tls", server.webSocketUri(), https)) {
                ws.subscribe("secure");
                HttpResponse<String> live = https.send(HttpRequest.newBuilder(server.httpUri().resolve("/publish"))
                        .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"topic\":\"secure\",\"data\":\"live\"}"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, live.statusCode(), live.body());
                ws.awaitOffset("secure", 2, WsTestClient.REPLY_TIMEOUT);
                assertEquals(List.of("\"live\""), ws.messages("secure").stream().map(Received::data).toList());
            }

            HttpResponse<String> page = get(https, server.httpUri().resolve("/"));
            assertEquals(200, page.statusCode());
            assertTrue(page.body().contains("location.protocol === 'https:' ? 'wss://'"),
                    "the demo page connects with wss: when loaded over https:");
        }
    }

    @Test
    void anRsaCertificateServesToo() throws Exception {
        try (StandaloneServer server = startWith(rsa)) {
            assertEquals(200, get(client(rsa), server.httpUri().resolve("/health")).statusCode());
        }
    }

    @Test
    void theFlagsGoTogether() {
        String cert = ec.certificateFile().toString();
        String key = ec.privateKeyFile().toString();
        Run certOnly = run("--tls-cert-file", cert);
        assertEquals(2, certOnly.status(), certOnly.err());
        assertTrue(certOnly.err().contains("Option '--tls-cert-file' needs '--tls-key-file' too"), certOnly.err());
        Run keyOnly = run("--tls-key-file", key);
        assertEquals(2, keyOnly.status(), keyOnly.err());
        assertTrue(keyOnly.err().contains("Option '--tls-key-file' needs '--tls-cert-file' too"), keyOnly.err());
        for (Run r : List.of(certOnly, keyOnly)) {
            assertTrue(r.err().contains("Run with --help"), r.err());
            assertFalse(r.err().contains("Exception"), r.err());
        }
    }

    @Test
    void aWrongFileStopsTheStartNamingItsOption() throws IOException {
        Path cert = ec.certificateFile();
        Path key = ec.privateKeyFile();
        Path empty = Files.writeString(dir.resolve("empty.pem"), "");
        Path pkcs1 = Files.writeString(dir.resolve("pkcs1.pem"),
                "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n"
                        + "-----END RSA PRIVATE KEY-----\n");
        Path encrypted = Files.writeString(dir.resolve("encrypted.pem"),
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n"
                        + "-----END ENCRYPTED PRIVATE KEY-----\n");
        Path garbled = Files.writeString(dir.resolve("garbled.pem"),
                "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
        record Case(String option, String says, Path cert, Path key) {
        }
        List<Case> cases = List.of(
                new Case("--tls-cert-file", "does not exist", dir.resolve("missing.pem"), key),
                new Case("--tls-key-file", "does not exist", cert, dir.resolve("missing.pem")),
                new Case("--tls-cert-file", "is not a regular file", dir, key),
                new Case("--tls-cert-file", "holds no PEM certificate", empty, key),
                new Case("--tls-cert-file", "holds a private key, not a certificate", key, key),
                new Case("--tls-cert-file", "cannot be read", garbled, key),
                new Case("--tls-key-file", "holds a certificate, not a private key", cert, cert),
                new Case("--tls-key-file", "holds no PEM private key", cert, empty),
                new Case("--tls-key-file", "openssl pkcs8 -topk8 -nocrypt", cert, pkcs1),
                new Case("--tls-key-file", "is encrypted", cert, encrypted),
                new Case("--tls-key-file", "does not belong to the certificate", cert,
                        TestCertificate.create(dir, "EC").privateKeyFile()),
                new Case("--tls-key-file", "does not belong to the certificate", cert, rsa.privateKeyFile()),
                new Case("--tls-key-file", "does not belong to the certificate", rsa.certificateFile(), key));
        for (Case c : cases) {
            Run r = run("--tls-cert-file", c.cert().toString(), "--tls-key-file", c.key().toString());
            String what = c + " -> " + r.err();
            assertEquals(2, r.status(), what);
            assertTrue(r.err().contains("'" + c.option() + "'"), what);
            assertTrue(r.err().contains(c.says()), what);
            assertTrue(r.err().contains("Run with --help"), what);
            assertFalse(r.err().contains("\tat "), "no stack trace: " + what);
            assertFalse(r.err().contains("Exception"), "no exception class name: " + what);
            assertEquals("", r.out(), what);
        }
    }
}
