package dev.herald.netty.internal.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.Broker;
import dev.herald.core.policy.HistoryPolicy;
import dev.herald.netty.HeraldServer;
import dev.herald.netty.HeraldServerConfig;
import dev.herald.netty.NettyLeakDetectorExtension;
import dev.herald.netty.RawJson;
import dev.herald.netty.auth.Grants;
import dev.herald.netty.auth.Identity;
import dev.herald.netty.auth.TokenTable;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Tokens on the WebSocket: on the upgrade, as a first command, replaced on an open session, and expiring. */
@ExtendWith(NettyLeakDetectorExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AuthWebSocketTest {
    private static final Identity ALICE = new Identity("alice",
            Grants.of(List.of("chat.>", "news.*"), List.of("chat.alice.>")), null);
    private static final Identity NEWS_ONLY = new Identity("alice", Grants.of(List.of("news.*"), List.of()), null);

    private final Broker<RawJson> broker = Broker.<RawJson>builder().history(HistoryPolicy.lastN(10))
            .payloadWeigher(RawJson::size).build();
    private final TokenTable tokens = new TokenTable(Grants.none()).with("alice", ALICE).with("news", NEWS_ONLY);
    private HeraldServer server;

    private int start(Grants anonymous) {
        TokenTable table = anonymous.isNone() ? tokens
                : new TokenTable(anonymous).with("alice", ALICE).with("news", NEWS_ONLY);
        server = HeraldServer.builder().broker(broker).authorizer(table)
                .config(HeraldServerConfig.builder().host("127.0.0.1").port(0).handshakeTimeout(Duration.ofSeconds(1))
                        .shutdownTimeout(Duration.ofSeconds(2)).build())
                .build().start();
        return server.port();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        broker.close();
    }

    private static String subscribe(String topic) {
        return "{\"action\":\"subscribe\",\"topic\":\"" + topic + "\"}";
    }

    @Test
    void aTokenInTheUrlGrantsWhatItSaysAndNothingMore() throws Exception {
        int port = start(Grants.none());
        try (JdkClient client = JdkClient.connect(port, "token=alice")) {
            assertEquals("subscribed", client.exchange(subscribe("chat.>")).get("type"));
            assertEquals("subscribed", client.exchange(subscribe("news.*")).get("type"));
            assertEquals("subscribed", client.exchange(subscribe("chat.*.typing")).get("type"));
            Map<String, Object> wide = client.exchange(subscribe("news.>"));
            assertEquals(Map.of("type", "error", "code", "forbidden"), Map.of("type", wide.get("type"), "code",
                    wide.get("code")), "news.> also matches news.eu.sports, which is not granted");
            assertEquals("forbidden", client.exchange(
                    "{\"action\":\"publish\",\"topic\":\"chat.room1\",\"data\":1}").get("code"));
            assertEquals("published", client.exchange(
                    "{\"action\":\"publish\",\"topic\":\"chat.alice.status\",\"data\":1}").get("type"));
            // The publish reaches the chat.> subscription.
            assertEquals("chat.alice.status", client.nextJson().get("topic"));
            assertFalse(client.closeStatus.isDone());
        }
    }

    @Test
    void aBearerHeaderOnTheUpgradeWorksToo() throws Exception {
        int port = start(Grants.none());
        try (JdkClient client = JdkClient.connectWithHeaders(port, "Authorization", "Bearer alice")) {
            assertEquals("subscribed", client.exchange(subscribe("chat.room1")).get("type"));
        }
    }

    @Test
    void aRefusedTokenOnTheUpgradeGets401BeforeTheUpgrade() {
        int port = start(Grants.none());
        CompletionException refused = assertThrows(CompletionException.class,
                () -> JdkClient.connect(port, "token=forged"));
        assertTrue(refused.getCause() instanceof WebSocketHandshakeException handshake
                && handshake.getResponse().statusCode() == 401, String.valueOf(refused.getCause()));
    }

    @Test
    void withoutATokenTheFirstCommandMustBeAuth() throws Exception {
        int port = start(Grants.none());
        try (JdkClient client = JdkClient.connect(port)) {
            assertEquals("pong", client.exchange("{\"action\":\"ping\"}").get("type"), "ping is allowed first");
            Map<String, Object> authenticated = client.exchange("{\"action\":\"auth\",\"token\":\"alice\",\"id\":1}");
            assertEquals(Map.of("type", "authenticated", "id", 1L, "subject", "alice"), authenticated);
            assertEquals("subscribed", client.exchange(subscribe("chat.room1")).get("type"));
        }
        try (JdkClient client = JdkClient.connect(port)) {
            Map<String, Object> refused = client.exchange(subscribe("chat.room1"));
            assertEquals("unauthorized", refused.get("code"));
            assertEquals(4001, client.awaitClose(10));
        }
        try (JdkClient client = JdkClient.connect(port)) {
            Map<String, Object> refused = client.exchange("{\"action\":\"auth\",\"token\":\"forged\"}");
            assertEquals(Map.of("type", "error", "code", "unauthorized", "message", "unknown token"), refused);
            assertEquals(4001, client.awaitClose(10));
        }
        try (JdkClient client = JdkClient.connect(port)) {
            assertEquals("unauthorized", client.nextJson().get("code"), "no auth within the handshake timeout");
            assertEquals(4001, client.awaitClose(10));
        }
    }

    @Test
    void anonymousGrantsLetClientsInWithoutAToken() throws Exception {
        int port = start(Grants.of(List.of("public.>"), List.of()));
        try (JdkClient client = JdkClient.connect(port)) {
            assertEquals("subscribed", client.exchange(subscribe("public.news")).get("type"));
            Map<String, Object> refused = client.exchange(subscribe("chat.room1"));
            assertEquals("unauthorized", refused.get("code"), "without a token, the answer asks for one");
            assertNull(client.received.poll(300, TimeUnit.MILLISECONDS), "and the session stays open");
            assertFalse(client.closeStatus.isDone());
            assertEquals("authenticated", client.exchange("{\"action\":\"auth\",\"token\":\"alice\"}").get("type"));
            assertEquals("subscribed", client.exchange(subscribe("chat.room1")).get("type"));
        }
    }

    @Test
    void aNewTokenReplacesTheGrantsAndEndsWhatTheyNoLongerAllow() throws Exception {
        int port = start(Grants.none());
        try (JdkClient client = JdkClient.connect(port, "token=alice")) {
            assertEquals("subscribed", client.exchange(subscribe("chat.room1")).get("type"));
            assertEquals("subscribed", client.exchange(subscribe("news.eu")).get("type"));
            assertEquals("authenticated", client.exchange("{\"action\":\"auth\",\"token\":\"news\"}").get("type"));
            assertEquals(Map.of("type", "unsubscribed", "topic", "chat.room1", "reason", "forbidden"),
                    client.nextJson());
            broker.publish("chat.room1", RawJson.of("1"));
            broker.publish("news.eu", RawJson.of("2"));
            Map<String, Object> message = client.nextJson();
            assertEquals("news.eu", message.get("topic"), "only the allowed subscription goes on: " + message);
            assertEquals("forbidden", client.exchange(subscribe("chat.room1")).get("code"));
        }
    }

    @Test
    void aTokenThatExpiresClosesTheSessionUnlessAFreshOneCameInTime() throws Exception {
        int port = start(Grants.none());
        tokens.with("short", new Identity("bob", ALICE.grants(), Instant.now().plusMillis(700)));
        tokens.with("short-then-fresh", new Identity("bob", ALICE.grants(), Instant.now().plusMillis(700)));
        try (JdkClient expiring = JdkClient.connect(port, "token=short");
             JdkClient refreshed = JdkClient.connect(port, "token=short-then-fresh")) {
            assertEquals("subscribed", expiring.exchange(subscribe("chat.room1")).get("type"));
            assertEquals("authenticated", refreshed.exchange("{\"action\":\"auth\",\"token\":\"alice\"}")
                    .get("type"));
            assertEquals("token_expired", expiring.nextJson().get("code"));
            assertEquals(4002, expiring.awaitClose(10));
            // Well past the first token's expiry, the refreshed session is still open and served.
            assertEquals("pong", refreshed.exchange("{\"action\":\"ping\"}").get("type"));
            assertFalse(refreshed.closeStatus.isDone());
        }
    }
}
