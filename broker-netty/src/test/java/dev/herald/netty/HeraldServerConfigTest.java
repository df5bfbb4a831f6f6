package dev.herald.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class HeraldServerConfigTest {

    @Test
    void defaultsAreThePlannedOnes() {
        HeraldServerConfig c = HeraldServerConfig.defaults();
        assertEquals("0.0.0.0", c.host());
        assertEquals(8080, c.port());
        assertEquals("/ws", c.websocketPath());
        assertEquals(List.of(), c.allowedOrigins());
        assertEquals(1 << 20, c.maxHttpBodyBytes());
        assertEquals(64 << 10, c.maxFrameBytes());
        assertEquals(10_000, c.maxConnections());
        assertEquals(100, c.maxSubscriptionsPerConnection());
        assertEquals(Duration.ofSeconds(25), c.heartbeatInterval());
        assertEquals(Duration.ofSeconds(60), c.idleTimeout());
        assertEquals(Duration.ofSeconds(10), c.handshakeTimeout());
        assertEquals(1024, c.outboundQueueLimit());
        assertEquals(128 << 10, c.writeBufferLowWaterMark());
        assertEquals(256 << 10, c.writeBufferHighWaterMark());
        assertEquals(SlowConsumerPolicy.DISCONNECT, c.slowConsumerPolicy());
        assertEquals(Duration.ofSeconds(10), c.shutdownTimeout());
        assertEquals(1000, c.historyLimit());
    }

    @Test
    void abuseLimitsAreOnByDefaultWithGenerousValues() {
        HeraldServerConfig c = HeraldServerConfig.defaults();
        assertEquals(RateLimit.perSecond(200, 400), c.requestRateLimit());
        assertEquals(RateLimit.perSecond(100, 200), c.publishRateLimit());
        assertEquals(RateLimit.perSecond(50, 200), c.connectionRateLimit());
        assertEquals(1000, c.maxConnectionsPerAddress());
        assertEquals(Duration.ofSeconds(10), c.requestTimeout());
        assertEquals(8 << 10, c.maxRequestLineBytes());
        assertEquals(16 << 10, c.maxHeaderBytes());
        assertEquals(16, c.maxPipelinedRequests());
        HeraldServerConfig set = HeraldServerConfig.builder().requestRateLimit(RateLimit.off())
                .publishRateLimit(RateLimit.perSecond(0.5, 1)).connectionRateLimit(RateLimit.off())
                .maxConnectionsPerAddress(0).requestTimeout(Duration.ofMillis(1500)).maxRequestLineBytes(64)
                .maxHeaderBytes(256).maxPipelinedRequests(1).build();
        assertTrue(set.requestRateLimit().isOff());
        assertEquals(RateLimit.perSecond(0.5, 1), set.publishRateLimit());
        assertEquals(0, set.maxConnectionsPerAddress());
        assertEquals(Duration.ofMillis(1500), set.requestTimeout());
        assertEquals(1, set.maxPipelinedRequests());
        assertTrue(set.toString().contains("publishRateLimit=0.5/s burst 1"), set.toString());
        assertTrue(set.toString().contains("requestRateLimit=off"), set.toString());
        assertBad(b -> b.maxConnectionsPerAddress(-1), "maxConnectionsPerAddress");
        assertBad(b -> b.requestTimeout(Duration.ZERO), "requestTimeout");
        assertBad(b -> b.maxRequestLineBytes(63), "63");
        assertBad(b -> b.maxHeaderBytes(255), "255");
        assertBad(b -> b.maxPipelinedRequests(0), "maxPipelinedRequests");
        assertThrows(IllegalStateException.class, () -> HeraldServerConfig.builder().requestRateLimit(RateLimit.off())
                .requestRateLimit(RateLimit.off()));
    }

    @Test
    void everySettingIsKept() {
        List<String> origins = new ArrayList<>(List.of("https://*.example.com"));
        HeraldServerConfig c = HeraldServerConfig.builder().host("127.0.0.1").port(0).websocketPath("/stream")
                .allowedOrigins(origins).maxHttpBodyBytes(10).maxFrameBytes(200).maxConnections(2)
                .maxSubscriptionsPerConnection(3).heartbeatInterval(Duration.ofSeconds(1))
                .idleTimeout(Duration.ofSeconds(2)).handshakeTimeout(Duration.ofSeconds(3)).outboundQueueLimit(4)
                .writeBufferLowWaterMark(5).writeBufferHighWaterMark(6).slowConsumerPolicy(SlowConsumerPolicy.DROP)
                .shutdownTimeout(Duration.ZERO).historyLimit(7).build();
        origins.clear();
        assertEquals(List.of("https://*.example.com"), c.allowedOrigins(), "the list is copied");
        assertEquals("/stream", c.websocketPath());
        assertEquals(0, c.port());
        assertEquals(7, c.historyLimit());
        assertEquals(SlowConsumerPolicy.DROP, c.slowConsumerPolicy());
        assertEquals(Duration.ZERO, c.shutdownTimeout());
        assertEquals(5, c.writeBufferLowWaterMark());
        assertTrue(c.toString().contains("historyLimit=7"));
    }

    @Test
    void badValuesAreRejectedAtTheCallNamingTheValue() {
        assertBad(b -> b.port(-1), "-1");
        assertBad(b -> b.port(65536), "65536");
        assertBad(b -> b.host(" "), "host");
        assertBad(b -> b.websocketPath("ws"), "'ws'");
        assertBad(b -> b.websocketPath("/publish"), "'/publish'");
        assertBad(b -> b.websocketPath("/ws?x"), "'/ws?x'");
        assertBad(b -> b.allowedOrigins(List.of("example.com")), "'example.com'");
        assertBad(b -> b.maxHttpBodyBytes(0), "maxHttpBodyBytes");
        assertBad(b -> b.maxFrameBytes(124), "124");
        assertBad(b -> b.maxConnections(0), "maxConnections");
        assertBad(b -> b.maxSubscriptionsPerConnection(0), "maxSubscriptionsPerConnection");
        assertBad(b -> b.heartbeatInterval(Duration.ZERO), "heartbeatInterval");
        assertBad(b -> b.idleTimeout(Duration.ofSeconds(-1)), "idleTimeout");
        assertBad(b -> b.handshakeTimeout(Duration.ZERO), "handshakeTimeout");
        assertBad(b -> b.outboundQueueLimit(0), "outboundQueueLimit");
        assertBad(b -> b.writeBufferLowWaterMark(0), "writeBufferLowWaterMark");
        assertBad(b -> b.writeBufferHighWaterMark(-5), "-5");
        assertBad(b -> b.shutdownTimeout(Duration.ofMillis(-1)), "shutdownTimeout");
        assertBad(b -> b.historyLimit(0), "historyLimit");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HeraldServerConfig.builder()
                .writeBufferLowWaterMark(300).writeBufferHighWaterMark(200).build());
        assertTrue(e.getMessage().contains("300") && e.getMessage().contains("200"), e.getMessage());
    }

    @Test
    void aSettingMadeTwiceIsAnError() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> HeraldServerConfig.builder().port(1).port(2));
        assertTrue(e.getMessage().contains("port"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> HeraldServerConfig.builder().allowedOrigins(List.of())
                .allowedOrigins(List.of("*")));
        assertThrows(IllegalStateException.class, () -> HeraldServer.builder().config(HeraldServerConfig.defaults())
                .config(HeraldServerConfig.defaults()));
    }

    private static void assertBad(Consumer<HeraldServerConfig.Builder> setting, String named) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> setting.accept(HeraldServerConfig.builder()));
        assertTrue(e.getMessage().contains(named), e.getMessage() + " should name " + named);
    }
}
