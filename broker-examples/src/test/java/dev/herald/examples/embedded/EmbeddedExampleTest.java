package dev.herald.examples.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.core.PublishResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class EmbeddedExampleTest {

    /** Collects whole text messages; the JDK client may hand a message over in parts. */
    private static final class Collector implements WebSocket.Listener {
        final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                messages.add(partial.toString());
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        String next() throws InterruptedException {
            String message = messages.poll(10, TimeUnit.SECONDS);
            assertNotNull(message, "a message within 10 s");
            return message;
        }
    }

    @Test
    void eventsPublishedInProcessReachInProcessAndWebSocketSubscribers() throws Exception {
        ByteArrayOutputStream auditLog = new ByteArrayOutputStream();
        PrintStream log = new PrintStream(auditLog, true, StandardCharsets.UTF_8);
        try (EmbeddedExample.OrderService service = new EmbeddedExample.OrderService("127.0.0.1", 0, log)) {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            Collector browser = new Collector();
            WebSocket socket = http.newWebSocketBuilder().buildAsync(service.webSocketUri(), browser)
                    .get(10, TimeUnit.SECONDS);
            try {
                socket.sendText("{\"action\":\"subscribe\",\"topic\":\"orders.>\",\"id\":1}", true)
                        .get(10, TimeUnit.SECONDS);
                String subscribed = browser.next();
                assertTrue(subscribed.contains("\"type\":\"subscribed\""), subscribed);
                assertTrue(subscribed.contains("\"id\":1"), subscribed);

                PublishResult.Accepted first = service.placeOrder("eu", 1200);
                PublishResult.Accepted second = service.placeOrder("us", 990);
                assertEquals(1, first.offset());
                assertEquals(1, second.offset());

                String a = browser.next();
                String b = browser.next();
                assertTrue(a.startsWith("{\"id\":\"" + first.id() + "\",\"topic\":\"orders.eu\",\"offset\":1,"), a);
                assertTrue(a.endsWith("\"data\":{\"orderId\":\"o-1\",\"region\":\"eu\",\"cents\":1200}}"), a);
                assertTrue(b.contains("\"topic\":\"orders.us\""), b);
                assertTrue(b.endsWith("\"data\":{\"orderId\":\"o-2\",\"region\":\"us\",\"cents\":990}}"), b);
            } finally {
                socket.abort();
            }

            // The same events are in the broker's history, served over HTTP too.
            HttpResponse<String> history = http.send(HttpRequest.newBuilder(
                    service.httpUri().resolve("/topics/orders.eu/history")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, history.statusCode(), history.body());
            assertTrue(history.body().contains("\"orderId\":\"o-1\""), history.body());

            // The in-process subscriber runs on the broker's delivery threads: wait, bounded, for its lines.
            String eu = "audit: orders.eu #1 {\"orderId\":\"o-1\",\"region\":\"eu\",\"cents\":1200}";
            String us = "audit: orders.us #1 {\"orderId\":\"o-2\"";
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            String audit = auditLog.toString(StandardCharsets.UTF_8);
            while (!(audit.contains(eu) && audit.contains(us)) && System.nanoTime() < deadline) {
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
                audit = auditLog.toString(StandardCharsets.UTF_8);
            }
            assertTrue(audit.contains(eu), audit);
            assertTrue(audit.contains(us), audit);
        }
    }
}
