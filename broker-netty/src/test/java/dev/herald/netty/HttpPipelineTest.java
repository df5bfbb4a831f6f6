package dev.herald.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.Broker;
import dev.herald.core.policy.HistoryPolicy;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultChannelId;
import dev.herald.netty.internal.HttpRequestRouter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The whole HTTP pipeline on raw bytes: codec, bounded aggregator with JSON 413s, router. */
@ExtendWith(NettyLeakDetectorExtension.class)
class HttpPipelineTest {
    private final Broker<RawJson> broker = Broker.<RawJson>builder()
            .history(HistoryPolicy.lastN(10)).executor(Runnable::run).build();

    @AfterEach
    void close() {
        broker.close();
    }

    private EmbeddedChannel channel() {
        HeraldServerConfig config = HeraldServerConfig.builder().maxHttpBodyBytes(64).build();
        return new EmbeddedChannel(DefaultChannelId.newInstance(), new HeraldChannelInitializer(broker, config));
    }

    private static String send(EmbeddedChannel ch, String raw) {
        ch.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder();
        ByteBuf buf;
        while ((buf = ch.readOutbound()) != null) {
            out.append(buf.toString(StandardCharsets.UTF_8));
            buf.release();
        }
        return out.toString();
    }

    private static String post(String body, String extraHeaders) {
        return "POST /publish HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n" + extraHeaders + "\r\n" + body;
    }

    @Test
    void seedPublishAndHistoryWork() {
        EmbeddedChannel ch = channel();
        String published = send(ch, post("{\"topic\":\"notifications\",\"data\":{\"message\":\"Hello\"}}", ""));
        assertTrue(published.startsWith("HTTP/1.1 200 OK\r\n"), published);
        assertTrue(published.contains("\"offset\":1"), published);
        String history = send(ch, "GET /topics/notifications/history HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertTrue(history.startsWith("HTTP/1.1 200 OK\r\n"), history);
        assertTrue(history.endsWith(",\"data\":{\"message\":\"Hello\"}}]"), history);
        assertFalse(ch.finish());
    }

    @Test
    void oversizedBodyAnnouncedByContentLengthGets413JsonAndTheConnectionStaysUsable() {
        EmbeddedChannel ch = channel();
        String big = "{\"topic\":\"t\",\"data\":\"" + "x".repeat(100) + "\"}";
        String response = send(ch, post(big, ""));
        assertTrue(response.startsWith("HTTP/1.1 413 Request Entity Too Large\r\n"), response);
        assertTrue(response.contains("content-type: application/json"), response);
        assertTrue(response.endsWith(
                "{\"code\":\"payload_too_large\",\"message\":\"the request body is larger than 64 bytes\"}"), response);
        assertTrue(ch.isOpen());
        assertFalse(response.contains("access-control-allow-origin"), response);
        String sameOrigin = send(ch, post(big, "Origin: http://localhost\r\n"));
        assertTrue(sameOrigin.startsWith("HTTP/1.1 413 ") && sameOrigin.contains(
                "access-control-allow-origin: http://localhost\r\n"), sameOrigin);
        String next = send(ch, "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertTrue(next.startsWith("HTTP/1.1 200 OK") && next.endsWith("{\"status\":\"ok\"}"), next);
        assertEquals(0, broker.stats().published());
        assertFalse(ch.finish());
    }

    @Test
    void oversizedChunkedBodyGets413JsonAndCloses() {
        EmbeddedChannel ch = channel();
        String chunk = "x".repeat(50);
        String response = send(ch, "POST /publish HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n"
                + "32\r\n" + chunk + "\r\n32\r\n" + chunk + "\r\n0\r\n\r\n");
        assertTrue(response.startsWith("HTTP/1.1 413 "), response);
        assertTrue(response.contains("\"code\":\"payload_too_large\""), response);
        assertTrue(response.toLowerCase().contains("connection: close"), response);
        assertFalse(ch.isOpen());
        assertFalse(ch.finish());
    }

    @Test
    void oversizedBodyWithExpectContinueGets413JsonWithoutReadingIt() {
        EmbeddedChannel ch = channel();
        String response = send(ch, "POST /publish HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: 1000\r\nExpect: 100-continue\r\n\r\n");
        assertTrue(response.startsWith("HTTP/1.1 413 "), response);
        assertTrue(response.contains("\"code\":\"payload_too_large\""), response);
        ch.close();
        assertFalse(ch.finish());
    }

    @Test
    void malformedRequestLineGets400AndCloses() {
        EmbeddedChannel ch = channel();
        String response = send(ch, "GET /health HTTP/1.1\r\nHost: localhost\r\nBad Header Line\r\n\r\n");
        assertTrue(response.startsWith("HTTP/1.1 400 "), response);
        assertTrue(response.contains("\"code\":\"bad_request\""), response);
        assertFalse(ch.isOpen());
        assertFalse(ch.finish());
    }

    @Test
    void keepAliveSurvivesEveryKindOfClientError() {
        EmbeddedChannel ch = channel();
        assertTrue(send(ch, post("{bad", "")).startsWith("HTTP/1.1 400 "));
        assertTrue(send(ch, "GET /nope HTTP/1.1\r\nHost: localhost\r\n\r\n").startsWith("HTTP/1.1 404 "));
        assertTrue(send(ch, "DELETE /health HTTP/1.1\r\nHost: localhost\r\n\r\n").startsWith("HTTP/1.1 405 "));
        assertTrue(send(ch, "POST /publish HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n"
                + "Content-Length: 2\r\n\r\n{}").startsWith("HTTP/1.1 415 "));
        assertTrue(send(ch, "GET /health HTTP/1.1\r\nHost: localhost\r\nOrigin: http://evil\r\n\r\n")
                .startsWith("HTTP/1.1 403 "));
        String ok = send(ch, post("{\"topic\":\"t\",\"data\":true}", ""));
        assertTrue(ok.startsWith("HTTP/1.1 200 "), ok);
        assertTrue(ch.isOpen());
        assertFalse(ch.finish());
    }

    @Test
    void websocketUpgradeIsPassedToTheWebSocketHandlersAddedOnDemand() {
        EmbeddedChannel ch = channel();
        assertNull(ch.pipeline().get(WebSocketServerProtocolHandler.class), "plain HTTP carries no WebSocket handlers");
        assertTrue(send(ch, "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n").startsWith("HTTP/1.1 200 "));
        String response = send(ch, "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n");
        assertTrue(response.startsWith("HTTP/1.1 101 Switching Protocols\r\n"), response);
        assertTrue(response.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), response);
        assertNotNull(ch.pipeline().get(WebSocketServerProtocolHandler.class));
        assertNull(ch.pipeline().get(HttpRequestRouter.HTTP_IDLE_HANDLER));
        ch.close();
        ByteBuf buf;
        while ((buf = ch.readOutbound()) != null) { // the close frame
            buf.release();
        }
        assertFalse(ch.finish());
    }

    @Test
    void websocketUpgradeFromAForeignOriginIsRefusedBeforeTheHandshake() {
        EmbeddedChannel ch = channel();
        String response = send(ch, "GET /ws HTTP/1.1\r\nHost: localhost:8080\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\nOrigin: https://evil.example\r\n\r\n");
        assertTrue(response.startsWith("HTTP/1.1 403 Forbidden\r\n"), response);
        assertTrue(response.contains("\"code\":\"origin_not_allowed\""), response);
        assertNull(ch.pipeline().get(WebSocketServerProtocolHandler.class));
        assertFalse(ch.finish());
    }

    @Test
    void errorsAfterTheUpgradeGoToTheWebSocketSession() {
        EmbeddedChannel ch = channel();
        String response = send(ch, "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n");
        assertTrue(response.startsWith("HTTP/1.1 101 "), response);
        ch.pipeline().fireExceptionCaught(new TooLongFrameException("frame too long"));
        ch.runPendingTasks();
        ByteBuf frame = ch.readOutbound();
        assertNotNull(frame, "the session answers with a close frame instead of the router dropping the connection");
        try {
            assertEquals(0x88, frame.getUnsignedByte(0), "a close frame");
            assertEquals(1009, frame.getUnsignedShort(2), "status 1009, message too big");
        } finally {
            frame.release();
        }
        ch.close();
        ByteBuf rest;
        while ((rest = ch.readOutbound()) != null) {
            rest.release();
        }
        assertFalse(ch.finish());
    }
}
