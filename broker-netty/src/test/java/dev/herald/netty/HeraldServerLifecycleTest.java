package dev.herald.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.Broker;
import dev.herald.core.HistoryQuery;
import dev.herald.core.policy.HistoryPolicy;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NettyLeakDetectorExtension.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HeraldServerLifecycleTest {
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static HeraldServerConfig loopback() {
        return HeraldServerConfig.builder().host("127.0.0.1").port(0).shutdownTimeout(Duration.ofSeconds(2)).build();
    }

    private static HttpResponse<String> get(HeraldServer server, String path) throws IOException, InterruptedException {
        return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void startsOnAnyFreePortServesAndStops() throws Exception {
        HeraldServer server = HeraldServer.builder().config(loopback()).build().start();
        int port = server.port();
        assertTrue(port > 0, "bound port " + port);
        assertEquals("127.0.0.1", server.localAddress().getAddress().getHostAddress());
        HttpResponse<String> health = get(server, "/health");
        assertEquals(200, health.statusCode());
        assertEquals("{\"status\":\"ok\"}", health.body());
        server.close();
        assertFalse(server.broker().isOpen(), "the server closes the broker it created");
        assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close());
        server.close(); // idempotent
    }

    @Test
    void doesNotCloseABrokerItWasGiven() throws Exception {
        try (Broker<RawJson> broker = Broker.<RawJson>builder().build()) {
            HeraldServer server = HeraldServer.builder().config(loopback()).broker(broker).build().start();
            assertEquals(200, get(server, "/health").statusCode());
            server.close();
            assertTrue(broker.isOpen());
            assertTrue(server.broker() == broker);
        }
    }

    @Test
    void runsOnEventLoopsTheApplicationOwnsAndLeavesThemRunning() throws Exception {
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup worker = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            HeraldServer server = HeraldServer.builder().config(loopback()).eventLoopGroups(boss, worker).build()
                    .start();
            assertEquals(200, get(server, "/health").statusCode());
            server.close();
            assertFalse(worker.isShuttingDown());
            assertFalse(boss.isShuttingDown());
        } finally {
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            worker.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void startTwiceOrAfterCloseIsAnError() {
        HeraldServer server = HeraldServer.builder().config(loopback()).build().start();
        try {
            assertThrows(IllegalStateException.class, server::start);
        } finally {
            server.close();
        }
        assertThrows(IllegalStateException.class, server::start);
    }

    @Test
    void failingToBindReportsTheCauseAndReleasesEverything() {
        HeraldServer first = HeraldServer.builder().config(loopback()).build().start();
        try {
            HeraldServer second = HeraldServer.builder()
                    .config(HeraldServerConfig.builder().host("127.0.0.1").port(first.port()).build()).build();
            IllegalStateException e = assertThrows(IllegalStateException.class, second::start);
            assertTrue(e.getCause() instanceof IOException, String.valueOf(e.getCause()));
            assertFalse(second.broker().isOpen());
        } finally {
            first.close();
        }
    }

    @Test
    void notStartedHasNoAddress() {
        HeraldServer server = HeraldServer.builder().build();
        assertThrows(IllegalStateException.class, server::localAddress);
        server.close();
        assertFalse(server.broker().isOpen());
    }

    @Test
    void theInitializerServesFromABootstrapTheApplicationOwns() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (Broker<RawJson> broker = Broker.<RawJson>builder().history(HistoryPolicy.lastN(10)).build()) {
            Channel listener = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new HeraldChannelInitializer(broker, HeraldServerConfig.defaults()))
                    .bind("127.0.0.1", 0).sync().channel();
            try {
                int port = ((InetSocketAddress) listener.localAddress()).getPort();
                HttpResponse<String> published = CLIENT.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + port + "/publish"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"topic\":\"app\",\"data\":[true]}"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, published.statusCode(), published.body());
                assertEquals("[true]", broker.history("app", HistoryQuery.all()).toCompletableFuture().join()
                        .messages().get(0).data().json());
            } finally {
                listener.close().sync();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
