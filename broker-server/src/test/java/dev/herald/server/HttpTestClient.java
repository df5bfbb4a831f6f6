package dev.herald.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * HTTP calls to a Herald server, each bounded by a timeout. One instance keeps its connections alive between
 * calls, as a real publisher would; calls from several threads are safe.
 */
final class HttpTestClient {
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    // HTTP/1.1 only: on plain http the JDK would otherwise offer an h2c upgrade the server does not speak.
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /**
     * A response.
     *
     * @param status the HTTP status
     * @param body   the body's text
     */
    record Response(int status, String body) {
        /** The body as a JSON object. */
        Map<String, Object> json() {
            return TestJson.object(body);
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }

    /**
     * {@code POST /publish}.
     *
     * @param base the server's HTTP URI
     * @param data the data's JSON text, sent as is
     * @return the response
     */
    Response publish(URI base, String topic, String data) {
        String body = "{\"topic\":" + TestJson.quote(topic) + ",\"data\":" + data + "}";
        return send(HttpRequest.newBuilder(base.resolve("/publish")).timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /**
     * {@code GET} a path.
     *
     * @param base         the server's HTTP URI
     * @param pathAndQuery for example {@code /health}
     * @return the response
     */
    Response get(URI base, String pathAndQuery) {
        return send(HttpRequest.newBuilder(base.resolve(pathAndQuery)).timeout(REQUEST_TIMEOUT).GET().build());
    }

    private Response send(HttpRequest request) {
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            return new Response(response.statusCode(), response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(request.method() + " " + request.uri() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
