package dev.herald.netty;

import static dev.herald.netty.HttpApiIntegrationTest.assertError;
import static dev.herald.netty.HttpApiIntegrationTest.get;
import static dev.herald.netty.HttpApiIntegrationTest.post;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herald.core.Broker;
import dev.herald.core.policy.HistoryPolicy;
import dev.herald.netty.auth.Grants;
import dev.herald.netty.auth.Identity;
import dev.herald.netty.auth.TokenTable;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Who may publish, read history and read metrics over HTTP, with an authorizer and a metrics token. */
@ExtendWith(NettyLeakDetectorExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AuthHttpTest {
    private static final String JSON = "application/json";

    private final Broker<RawJson> broker = Broker.<RawJson>builder().history(HistoryPolicy.lastN(10))
            .payloadWeigher(RawJson::size).build();
    private final HeraldServer server = HeraldServer.builder().broker(broker)
            .authorizer(new TokenTable(Grants.of(List.of("public.*"), List.of()))
                    .with("alice", new Identity("alice", Grants.of(List.of("chat.>"), List.of("chat.alice.>")), null))
                    .with("nobody", new Identity("nobody", Grants.none(), null)))
            .metricsToken("metrics-secret")
            .config(HeraldServerConfig.builder().host("127.0.0.1").port(0).shutdownTimeout(Duration.ofSeconds(2))
                    .build())
            .build().start();

    @AfterEach
    void stop() {
        server.close();
        broker.close();
    }

    private HttpResponse<String> publish(String topic, String... headers) {
        return post(server, "/publish", JSON, "{\"topic\":\"" + topic + "\",\"data\":1}", headers);
    }

    @Test
    void publishNeedsATokenThatGrantsTheTopic() {
        HttpResponse<String> anonymous = publish("chat.alice.status");
        assertError(anonymous, 401, "unauthorized");
        assertEquals("Bearer", anonymous.headers().firstValue("www-authenticate").orElse(null));

        HttpResponse<String> refused = publish("chat.alice.status", "Authorization", "Bearer forged");
        assertError(refused, 401, "unauthorized");
        assertEquals("Bearer error=\"invalid_token\"", refused.headers().firstValue("www-authenticate").orElse(null));
        assertError(publish("chat.alice.status", "Authorization", "Basic YWxpY2U6eA=="), 401, "unauthorized");

        assertError(publish("chat.room1", "Authorization", "Bearer alice"), 403, "forbidden");
        assertError(publish("chat.alice.status", "Authorization", "Bearer nobody"), 403, "forbidden");
        assertEquals(200, publish("chat.alice.status", "Authorization", "Bearer alice").statusCode());
        assertEquals(200, publish("chat.alice.status", "authorization", "bearer   alice").statusCode(),
                "the scheme is case-insensitive");
        // An invalid topic is a bad request whatever the grants.
        assertError(publish("chat.*", "Authorization", "Bearer alice"), 400, "invalid_topic");
        assertEquals(2, broker.stats().published());
    }

    @Test
    void historyNeedsSubscribePermission() {
        assertEquals(200, publish("chat.alice.status", "Authorization", "Bearer alice").statusCode());
        assertEquals(200, get(server, "/topics/chat.alice.status/history", "Authorization", "Bearer alice")
                .statusCode());
        assertError(get(server, "/topics/chat.alice.status/history"), 401, "unauthorized");
        assertError(get(server, "/topics/chat.alice.status/history", "Authorization", "Bearer nobody"), 403,
                "forbidden");
        assertEquals(200, get(server, "/topics/public.news/history").statusCode(), "anonymous grants apply");
        assertError(get(server, "/topics/public.news.eu/history"), 401, "unauthorized");
    }

    @Test
    void healthStaysOpenAndMetricsNeedTheirOwnToken() {
        assertEquals(200, get(server, "/health").statusCode());
        assertError(get(server, "/metrics"), 401, "unauthorized");
        assertError(get(server, "/metrics", "Authorization", "Bearer alice"), 401, "unauthorized");
        assertError(get(server, "/metrics", "Authorization", "Bearer metrics-secre"), 401, "unauthorized");
        HttpResponse<String> metrics = get(server, "/metrics", "Authorization", "Bearer metrics-secret");
        assertEquals(200, metrics.statusCode());
        assertEquals(3L, ((java.util.Map<?, ?>) TestJson.object(metrics.body()).get("server"))
                .get("authenticationsRefused"), metrics.body());
    }

    @Test
    void withoutAnAuthorizerTokensAreIgnored() {
        try (HeraldServer open = HeraldServer.builder().config(HeraldServerConfig.builder().host("127.0.0.1")
                .port(0).build()).build().start()) {
            assertEquals(200, post(open, "/publish", JSON, "{\"topic\":\"t\",\"data\":1}",
                    "Authorization", "Bearer anything").statusCode());
            assertEquals(200, get(open, "/topics/t/history", "Authorization", "Basic x").statusCode());
            assertEquals(200, get(open, "/metrics").statusCode());
        }
    }
}
