package dev.herald.netty.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.herald.core.Broker;
import dev.herald.core.History;
import dev.herald.core.HistoryQuery;
import dev.herald.core.policy.HistoryPolicy;
import dev.herald.netty.HeraldServer;
import dev.herald.netty.HeraldServerConfig;
import dev.herald.netty.RawJson;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.statistics.Statistics;

/**
 * The whole server against a model of who may do what. Each try makes a world: anonymous grants, and clients
 * whose tokens are valid, expired, not yet valid, signed with another key, tampered with, unsigned or garbage, each
 * with random grants; then random actions over HTTP and WebSocket (publish, history read, subscribe, publish over
 * the socket, a late {@code auth}). The model predicts every answer from the token's kind and
 * {@link GrantsProperties.Model#covers} (a brute-force enumeration of topics, independent of {@link Grants}); the
 * server must answer exactly that. Beside it, a ledger counts the publishes the model allows: the broker must have
 * accepted exactly those, so no refused publish got through.
 */
class AccessProperties {
    private static final byte[] SECRET = "the-server-secret-for-the-access-property".getBytes(StandardCharsets.UTF_8);
    private static final byte[] OTHER_SECRET = "another-secret-of-the-same-good-length-x".getBytes(StandardCharsets.UTF_8);
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final Duration REPLY = Duration.ofSeconds(10);

    /** How a client's token was made; only {@code VALID} verifies. */
    enum Kind { NONE, VALID, EXPIRED, NOT_YET_VALID, WRONG_KEY, TAMPERED, UNSIGNED, GARBAGE }

    record Client(Kind kind, List<String> subscribe, List<String> publish) {
        boolean hasToken() {
            return kind != Kind.NONE;
        }
    }

    /** One thing a client does; {@code client} indexes the world's clients. */
    sealed interface Action permits HttpPublish, HttpHistory, Session {
    }

    record HttpPublish(int client, String topic) implements Action {
    }

    record HttpHistory(int client, String topic) implements Action {
    }

    /** A WebSocket session: the token on the upgrade (or, with {@code lateAuth}, in a first auth command). */
    record Session(int client, boolean lateAuth, List<String[]> commands) implements Action {
    }

    record World(List<String> anonymousSubscribe, List<String> anonymousPublish, List<Client> clients,
                 List<Action> actions) {
    }

    private Broker<RawJson> broker;
    private HeraldServer server;
    private int allowedPublishes;

    @AfterProperty
    void stop() {
        close();
    }

    private void close() {
        if (server != null) {
            server.close();
            server = null;
        }
        if (broker != null) {
            broker.close();
            broker = null;
        }
    }

    @Property(tries = 200)
    void theServerAllowsExactlyWhatTheModelAllows(@ForAll("worlds") World world) throws Exception {
        close();
        broker = Broker.<RawJson>builder().history(HistoryPolicy.lastN(1000)).payloadWeigher(RawJson::size).build();
        server = HeraldServer.builder().broker(broker)
                .authorizer(JwtAuthorizer.builder().hmacSecret(SECRET).leeway(Duration.ofSeconds(5))
                        .anonymousSubscribe(world.anonymousSubscribe()).anonymousPublish(world.anonymousPublish())
                        .build())
                .config(HeraldServerConfig.builder().host("127.0.0.1").port(0).handshakeTimeout(Duration.ofSeconds(5))
                        .shutdownTimeout(Duration.ofMillis(500)).build())
                .build().start();
        allowedPublishes = 0;
        List<String> tokens = new ArrayList<>();
        for (Client c : world.clients()) {
            tokens.add(token(c));
        }
        Map<String, Integer> publishedPerTopic = new HashMap<>();
        for (Action action : world.actions()) {
            if (action instanceof HttpPublish p) {
                httpPublish(world, tokens, p, publishedPerTopic);
            } else if (action instanceof HttpHistory h) {
                httpHistory(world, tokens, h);
            } else {
                session(world, tokens, (Session) action, publishedPerTopic);
            }
        }
        assertEquals(allowedPublishes, broker.stats().published(), "the broker accepted exactly the allowed publishes");
        for (Map.Entry<String, Integer> e : publishedPerTopic.entrySet()) {
            History<RawJson> history = broker.history(e.getKey(), HistoryQuery.all()).toCompletableFuture().join();
            assertEquals(e.getValue(), history.messages().size(), "messages in " + e.getKey());
        }
    }

    // ---- the model ----

    private static boolean valid(Client c) {
        return c.kind() == Kind.VALID;
    }

    private static boolean mayPublish(World w, Client c, String topic) {
        return GrantsProperties.Model.covers(union(w.anonymousPublish(), c.kind() == Kind.VALID ? c.publish()
                : List.of()), topic);
    }

    private static boolean maySubscribe(World w, Client c, String filter) {
        return GrantsProperties.Model.covers(union(w.anonymousSubscribe(), c.kind() == Kind.VALID ? c.subscribe()
                : List.of()), filter);
    }

    private static List<String> union(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** The HTTP status the model expects: a bad token is refused first, then the grants decide. */
    private static int expectedStatus(Client c, boolean allowed) {
        if (c.hasToken() && !valid(c)) {
            return 401;
        }
        return allowed ? 200 : c.hasToken() ? 403 : 401;
    }

    // ---- running the actions ----

    private void httpPublish(World w, List<String> tokens, HttpPublish p, Map<String, Integer> ledger)
            throws Exception {
        Client c = w.clients().get(p.client());
        boolean allowed = (!c.hasToken() || valid(c)) && mayPublish(w, c, p.topic());
        HttpRequest.Builder request = HttpRequest.newBuilder(uri("/publish")).timeout(REPLY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"topic\":\"" + p.topic() + "\",\"data\":1}"));
        HttpResponse<String> r = send(request, tokens.get(p.client()));
        Statistics.label("http publish").collect(r.statusCode());
        assertEquals(expectedStatus(c, allowed), r.statusCode(), () -> c + " publishes " + p.topic() + ": "
                + r.body());
        if (allowed) {
            allowedPublishes++;
            ledger.merge(p.topic(), 1, Integer::sum);
        }
    }

    private void httpHistory(World w, List<String> tokens, HttpHistory h) throws Exception {
        Client c = w.clients().get(h.client());
        boolean allowed = (!c.hasToken() || valid(c)) && maySubscribe(w, c, h.topic());
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/topics/" + h.topic() + "/history")).timeout(REPLY)
                .GET(), tokens.get(h.client()));
        Statistics.label("http history").collect(r.statusCode());
        assertEquals(expectedStatus(c, allowed), r.statusCode(), () -> c + " reads " + h.topic() + ": " + r.body());
    }

    private void session(World w, List<String> tokens, Session s, Map<String, Integer> ledger) throws Exception {
        Client c = w.clients().get(s.client());
        String token = tokens.get(s.client());
        boolean tokenOnUpgrade = c.hasToken() && !s.lateAuth();
        URI uri = URI.create("ws://127.0.0.1:" + server.port() + "/ws"
                + (tokenOnUpgrade ? "?token=" + token : ""));
        Socket socket;
        try {
            socket = new Socket(uri);
        } catch (CompletionException e) {
            assertTrue(e.getCause() instanceof WebSocketHandshakeException handshake
                    && handshake.getResponse().statusCode() == 401 && tokenOnUpgrade && !valid(c),
                    () -> c + ": the upgrade failed: " + e.getCause());
            Statistics.label("session").collect("refused upgrade");
            return;
        }
        try (socket) {
            assertTrue(!tokenOnUpgrade || valid(c), () -> c + ": a bad token on the upgrade was let through");
            boolean authenticated = tokenOnUpgrade;
            if (c.hasToken() && s.lateAuth()) {
                Map<String, Object> reply = socket.exchange("{\"action\":\"auth\",\"token\":\"" + token + "\"}");
                if (!valid(c)) {
                    assertEquals("unauthorized", reply.get("code"), () -> c + ": auth answered " + reply);
                    assertEquals(4001, socket.awaitClose());
                    Statistics.label("session").collect("refused auth");
                    return;
                }
                assertEquals("authenticated", reply.get("type"), () -> c + ": auth answered " + reply);
                authenticated = true;
            }
            boolean anonymousMayDoNothing = w.anonymousSubscribe().isEmpty() && w.anonymousPublish().isEmpty();
            Statistics.label("session").collect(authenticated ? "with token" : "anonymous");
            for (String[] command : s.commands()) {
                String kind = command[0];
                String topic = command[1];
                boolean allowed = kind.equals("subscribe") ? maySubscribe(w, c, topic) : mayPublish(w, c, topic);
                if (!authenticated) {
                    allowed = kind.equals("subscribe") ? maySubscribe(w, new Client(Kind.NONE, List.of(), List.of()),
                            topic) : mayPublish(w, new Client(Kind.NONE, List.of(), List.of()), topic);
                }
                String json = kind.equals("subscribe")
                        ? "{\"action\":\"subscribe\",\"topic\":\"" + topic + "\"}"
                        : "{\"action\":\"publish\",\"topic\":\"" + topic + "\",\"data\":2}";
                Map<String, Object> reply = socket.exchange(json);
                if (!authenticated && anonymousMayDoNothing) {
                    assertEquals("unauthorized", reply.get("code"), () -> c + ": " + json + " -> " + reply);
                    assertEquals(4001, socket.awaitClose(), "a session that must authenticate first is closed");
                    return;
                }
                String expected = allowed ? (kind.equals("subscribe") ? "subscribed" : "published") : "error";
                boolean finalAuthenticated = authenticated;
                assertEquals(expected, reply.get("type"), () -> c + (finalAuthenticated ? " (token)" : " (anonymous)")
                        + ": " + json + " -> " + reply);
                if (!allowed) {
                    assertEquals(authenticated ? "forbidden" : "unauthorized", reply.get("code"), reply::toString);
                } else if (kind.equals("publish")) {
                    allowedPublishes++;
                    ledger.merge(topic, 1, Integer::sum);
                }
                Statistics.label("ws " + kind).collect(allowed ? "allowed" : "refused");
            }
        }
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private static HttpResponse<String> send(HttpRequest.Builder request, String token) throws Exception {
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    // ---- tokens ----

    private static String token(Client c) throws JOSEException {
        Instant now = Instant.now();
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().subject("client")
                .claim("subscribe", c.subscribe()).claim("publish", c.publish())
                .expirationTime(Date.from(now.plusSeconds(600)));
        switch (c.kind()) {
            case NONE -> {
                return null;
            }
            case GARBAGE -> {
                return "not-a-token";
            }
            case EXPIRED -> claims.expirationTime(Date.from(now.minusSeconds(60)));
            case NOT_YET_VALID -> claims.notBeforeTime(Date.from(now.plusSeconds(60)));
            default -> {
                // VALID, WRONG_KEY, TAMPERED and UNSIGNED start from a valid claim set.
            }
        }
        if (c.kind() == Kind.UNSIGNED) {
            Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
            return b64.encodeToString("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8)) + "."
                    + b64.encodeToString(claims.build().toString().getBytes(StandardCharsets.UTF_8)) + ".";
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
        jwt.sign(new MACSigner(c.kind() == Kind.WRONG_KEY ? OTHER_SECRET : SECRET));
        String signed = jwt.serialize();
        if (c.kind() == Kind.TAMPERED) {
            // The same signature over claims that grant everything.
            String[] parts = signed.split("\\.");
            String widened = claims.claim("subscribe", List.of(">")).claim("publish", List.of(">")).build().toString();
            return parts[0] + "." + Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(widened.getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
        }
        return signed;
    }

    // ---- generators ----

    @Provide
    Arbitrary<World> worlds() {
        Arbitrary<List<String>> grants = patterns().list().ofMaxSize(3);
        Arbitrary<Client> client = Combinators.combine(
                Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(6, Arbitraries.just(Kind.VALID)),
                        net.jqwik.api.Tuple.of(4, Arbitraries.of(Kind.values()))),
                grants, grants).as(Client::new);
        Arbitrary<List<String>> anonymous = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(1, Arbitraries.just(List.<String>of())), net.jqwik.api.Tuple.of(1, grants));
        return Combinators.combine(anonymous, anonymous, client.list().ofMinSize(1).ofMaxSize(4))
                .flatAs((anonSubscribe, anonPublish, clients) -> actions(clients.size()).list().ofMinSize(1)
                        .ofMaxSize(8).map(actions -> new World(anonSubscribe, anonPublish, clients, actions)));
    }

    private Arbitrary<Action> actions(int clients) {
        Arbitrary<Integer> who = Arbitraries.integers().between(0, clients - 1);
        Arbitrary<String[]> command = Combinators.combine(Arbitraries.of("subscribe", "publish"), patterns(), names())
                .as((kind, pattern, name) -> new String[] {kind, kind.equals("subscribe") ? pattern : name});
        return Arbitraries.oneOf(
                Combinators.combine(who, names()).as(HttpPublish::new),
                Combinators.combine(who, names()).as(HttpHistory::new),
                Combinators.combine(who, Arbitraries.of(true, false), command.list().ofMinSize(1).ofMaxSize(4))
                        .as(Session::new));
    }

    /** Topic names of 1 to 3 segments over a, b and c. */
    private static Arbitrary<String> names() {
        return Arbitraries.of("a", "b", "c").list().ofMinSize(1).ofMaxSize(3).map(s -> String.join(".", s));
    }

    /** Patterns of 1 to 3 segments over a, b, c and *, some ending in >. */
    private static Arbitrary<String> patterns() {
        return Combinators.combine(Arbitraries.of("a", "b", "c", "*").list().ofMinSize(1).ofMaxSize(3),
                Arbitraries.integers().between(0, 2)).as((s, tail) -> {
                    List<String> p = new ArrayList<>(s);
                    if (tail == 0) {
                        p.set(p.size() - 1, ">");
                    }
                    return String.join(".", p);
                });
    }

    /** A WebSocket client that answers one command at a time. */
    private static final class Socket implements AutoCloseable {
        private final BlockingQueue<String> received = new LinkedBlockingQueue<>();
        private final CompletableFuture<Integer> closed = new CompletableFuture<>();
        private final WebSocket socket;

        Socket(URI uri) {
            socket = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                    .buildAsync(uri, new WebSocket.Listener() {
                        private final StringBuilder partial = new StringBuilder();

                        @Override
                        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                            partial.append(data);
                            if (last) {
                                received.add(partial.toString());
                                partial.setLength(0);
                            }
                            ws.request(1);
                            return null;
                        }

                        @Override
                        public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
                            closed.complete(status);
                            return null;
                        }

                        @Override
                        public void onError(WebSocket ws, Throwable error) {
                            closed.complete(-1);
                        }
                    }).orTimeout(10, TimeUnit.SECONDS).join();
        }

        /** Sends a command and returns the next control frame (messages of its own publishes are skipped). */
        Map<String, Object> exchange(String command) throws InterruptedException {
            socket.sendText(command, true).orTimeout(10, TimeUnit.SECONDS).join();
            while (true) {
                String frame = received.poll(REPLY.toMillis(), TimeUnit.MILLISECONDS);
                if (frame == null) {
                    throw new AssertionError("no answer to " + command);
                }
                Map<String, Object> json = dev.herald.netty.TestJson.object(frame);
                if (json.containsKey("type")) {
                    return json;
                }
            }
        }

        int awaitClose() {
            return closed.orTimeout(10, TimeUnit.SECONDS).join();
        }

        @Override
        public void close() {
            socket.abort();
        }
    }
}
