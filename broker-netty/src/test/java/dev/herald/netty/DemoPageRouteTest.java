package dev.herald.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code GET /} serves the demo page only when {@link HeraldServerConfig.Builder#demoPage} turns it on. */
@ExtendWith(NettyLeakDetectorExtension.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DemoPageRouteTest {
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private static HeraldServer start(boolean demoPage) {
        HeraldServerConfig.Builder config = HeraldServerConfig.builder().host("127.0.0.1").port(0)
                .shutdownTimeout(Duration.ofSeconds(2));
        if (demoPage) {
            config.demoPage(true);
        }
        return HeraldServer.builder().config(config.build()).build().start();
    }

    private static HttpResponse<String> send(HeraldServer server, String method) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/"))
                .timeout(Duration.ofSeconds(10))
                .method(method, method.equals("GET") ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString("{}"))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void offByDefault() throws Exception {
        assertFalse(HeraldServerConfig.defaults().demoPage());
        try (HeraldServer server = start(false)) {
            HttpResponse<String> response = send(server, "GET");
            assertEquals(404, response.statusCode());
            assertTrue(response.body().contains("\"code\":\"not_found\""), response.body());
        }
    }

    @Test
    void servedWhenTurnedOn() throws Exception {
        try (HeraldServer server = start(true)) {
            HttpResponse<String> page = send(server, "GET");
            assertEquals(200, page.statusCode());
            assertEquals("text/html; charset=utf-8", page.headers().firstValue("content-type").orElse(""));
            assertEquals("nosniff", page.headers().firstValue("x-content-type-options").orElse(""));
            assertTrue(page.body().startsWith("<!DOCTYPE html>"), page.body());
            assertTrue(page.body().contains("new WebSocket("), "the page speaks the WebSocket protocol");

            HttpResponse<String> post = send(server, "POST");
            assertEquals(405, post.statusCode());
            assertEquals("GET", post.headers().firstValue("allow").orElse(""));
        }
    }

    @Test
    void thePageConnectsToTheServersOwnWebSocketPath() throws Exception {
        try (HeraldServer server = start(true)) {
            assertTrue(send(server, "GET").body().contains("<meta name=\"herald-websocket-path\" content=\"/ws\">"));
        }
        try (HeraldServer server = HeraldServer.builder().config(HeraldServerConfig.builder().host("127.0.0.1").port(0)
                .demoPage(true).websocketPath("/live/updates").build()).build().start()) {
            String page = send(server, "GET").body();
            assertTrue(page.contains("<meta name=\"herald-websocket-path\" content=\"/live/updates\">"), page);
            assertFalse(page.contains("content=\"/ws\""), "no trace of the default path");
        }
    }

    @Test
    void settingItTwiceIsRefused() {
        HeraldServerConfig.Builder builder = HeraldServerConfig.builder().demoPage(true);
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> builder.demoPage(false));
        assertTrue(e.getMessage().contains("demoPage"), e.getMessage());
    }
}
