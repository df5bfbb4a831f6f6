package dev.herald.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The standalone server with authentication on: a token minted by the token command opens what it grants. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HeraldMainAuthTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    private String mint(Path secret, String... claims) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] args = new String[4 + claims.length + 1];
        args[0] = "token";
        args[1] = "--secret-file";
        args[2] = secret.toString();
        System.arraycopy(claims, 0, args, 3, claims.length);
        args[3 + claims.length] = "--ttl";
        args[4 + claims.length] = "10m";
        assertEquals(0, HeraldMain.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args),
                err.toString());
        return out.toString().strip();
    }

    private static HttpResponse<String> send(HttpRequest.Builder request, String token) throws Exception {
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(request.timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> publish(StandaloneServer server, String topic, String token)
            throws Exception {
        return send(HttpRequest.newBuilder(server.httpUri().resolve("/publish"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"topic\":\"" + topic + "\",\"data\":1}")), token);
    }

    private static HttpResponse<String> get(StandaloneServer server, String path, String token) throws Exception {
        return send(HttpRequest.newBuilder(server.httpUri().resolve(path)), token);
    }

    @Test
    void mintedTokensOpenWhatTheyGrantAndNothingElse() throws Exception {
        Path secret = dir.resolve("secret");
        Files.writeString(secret, "a-secret-of-more-than-thirty-two-bytes-for-hs256\n");
        Path metricsToken = dir.resolve("metrics-token");
        Files.writeString(metricsToken, "scrape-me\n");
        String alice = mint(secret, "--sub", "alice", "--subscribe", "chat.>", "--publish", "chat.alice.>");
        try (StandaloneServer server = HeraldMain.start("--host", "127.0.0.1", "--port", "0",
                "--auth-hmac-secret-file", secret.toString(), "--anonymous-subscribe", "public.>",
                "--metrics-token-file", metricsToken.toString())) {
            assertEquals(401, publish(server, "chat.alice.status", null).statusCode());
            assertEquals(403, publish(server, "chat.room1", alice).statusCode());
            assertEquals(200, publish(server, "chat.alice.status", alice).statusCode());
            assertEquals(200, get(server, "/topics/chat.alice.status/history", alice).statusCode());
            assertEquals(401, get(server, "/topics/chat.alice.status/history", null).statusCode());
            assertEquals(200, get(server, "/topics/public.news/history", null).statusCode());
            assertEquals(401, get(server, "/topics/chat.alice.status/history", alice + "x").statusCode());
            assertEquals(200, get(server, "/health", null).statusCode());
            assertEquals(401, get(server, "/metrics", alice).statusCode());
            assertEquals(200, get(server, "/metrics", "scrape-me").statusCode());

            URI ws = URI.create(server.webSocketUri() + "?token=" + alice);
            try (WsTestClient client = WsTestClient.connect("alice", ws)) {
                client.subscribe("chat.room1");
                client.subscribe("public.news");
                client.publish("chat.alice.status", "2");
            }
        }
    }

    @Test
    void authenticationOptionsFailFastNamingTheOption() throws IOException {
        Path shortSecret = dir.resolve("short");
        Files.writeString(shortSecret, "short\n");
        Path secret = dir.resolve("secret");
        Files.writeString(secret, "a-secret-of-more-than-thirty-two-bytes-for-hs256");
        Map<String, String[]> cases = Map.of(
                "--auth-hmac-secret-file", new String[] {"--auth-hmac-secret-file", shortSecret.toString()},
                "--auth-public-key-file", new String[] {"--auth-public-key-file", dir.resolve("none.pem").toString()},
                "--auth-jwks-file", new String[] {"--auth-jwks-file", secret.toString()},
                "--anonymous-subscribe", new String[] {"--anonymous-subscribe", "public.>"},
                "--anonymous-publish", new String[] {"--auth-hmac-secret-file", secret.toString(),
                    "--anonymous-publish", "a..b"},
                "--auth-leeway", new String[] {"--auth-hmac-secret-file", secret.toString(), "--auth-leeway", "-5s"},
                "--metrics-token-file", new String[] {"--metrics-token-file", dir.resolve("none").toString()});
        for (Map.Entry<String, String[]> c : cases.entrySet()) {
            String[] args = new String[c.getValue().length + 4];
            System.arraycopy(c.getValue(), 0, args, 0, c.getValue().length);
            System.arraycopy(new String[] {"--host", "127.0.0.1", "--port", "0"}, 0, args, c.getValue().length, 4);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HeraldMain.start(args),
                    String.join(" ", args));
            assertTrue(e.getMessage().contains(c.getKey()), c.getKey() + ": " + e.getMessage());
            assertTrue(!e.getMessage().contains("thirty-two"), "never the secret: " + e.getMessage());
        }
    }
}
