package dev.herald.netty.internal.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.netty.HeraldServer;
import dev.herald.netty.HeraldServerConfig;
import dev.herald.netty.NettyLeakDetectorExtension;
import dev.herald.netty.TestJson;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Regression tests for the upgrade to WebSocket: a query string on the WebSocket path (where clients pass tokens)
 * upgrades instead of hanging unanswered, and a request for the path that cannot upgrade gets the JSON error body
 * of every other route, on a connection that stays usable.
 */
@ExtendWith(NettyLeakDetectorExtension.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class WebSocketUpgradeTest {
    private static HeraldServer server;

    @BeforeAll
    static void start() {
        server = HeraldServer.builder().config(HeraldServerConfig.builder().host("127.0.0.1").port(0)
                .maxConnections(4).build()).build().start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void aQueryStringOnTheWebSocketPathUpgradesAndServes() throws Exception {
        // More such connections than the limit: each upgrades and leaves again, none is held unanswered.
        for (String query : new String[] {"token=abc", "", "a=1&b=2", "token=x", "token=y", "token=z"}) {
            try (JdkClient client = JdkClient.connect(server.port(), query)) {
                Map<String, Object> reply = client.exchange("{\"action\":\"ping\",\"id\":\"q\"}");
                assertEquals(Map.of("type", "pong", "id", "q"), reply, "/ws?" + query);
            }
        }
    }

    /** Sends a request for the WebSocket path on a raw connection, then a health check on the same connection. */
    private static String[] upgradeThenHealth(String headers) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            String refused = readResponse(in);
            socket.getOutputStream().write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            return new String[] {refused, readResponse(in)};
        }
    }

    private static Map<String, Object> body(String response) {
        return TestJson.object(response.substring(response.indexOf("\r\n\r\n") + 4));
    }

    @Test
    void aRequestWithoutTheUpgradeHeadersGets426WithTheJsonErrorBody() throws IOException {
        String[] replies = upgradeThenHealth("");
        assertTrue(replies[0].startsWith("HTTP/1.1 426 "), replies[0]);
        assertTrue(replies[0].toLowerCase().contains("upgrade: websocket"), replies[0]);
        assertTrue(replies[0].toLowerCase().contains("content-type: application/json"), replies[0]);
        assertEquals("upgrade_required", body(replies[0]).get("code"));
        assertTrue(replies[1].startsWith("HTTP/1.1 200 "), "the connection stays usable: " + replies[1]);
    }

    @Test
    void anUnsupportedVersionGets426NamingTheOneTheServerSpeaks() throws IOException {
        String[] replies = upgradeThenHealth("Upgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n");
        assertTrue(replies[0].startsWith("HTTP/1.1 426 "), replies[0]);
        assertTrue(replies[0].toLowerCase().contains("sec-websocket-version: 13"), replies[0]);
        assertEquals("upgrade_required", body(replies[0]).get("code"));
        assertTrue(replies[1].startsWith("HTTP/1.1 200 "), replies[1]);
    }

    @Test
    void aMissingKeyGets400WithTheJsonErrorBody() throws IOException {
        String[] replies = upgradeThenHealth("Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
                + "Sec-WebSocket-Version: 13\r\n");
        assertTrue(replies[0].startsWith("HTTP/1.1 400 "), replies[0]);
        assertEquals("bad_request", body(replies[0]).get("code"));
        assertTrue(replies[1].startsWith("HTTP/1.1 200 "), replies[1]);
    }

    private static String readResponse(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed after: " + head);
            }
            head.append((char) b);
        }
        int length = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        return head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }
}
