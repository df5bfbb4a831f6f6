package dev.herald.examples.standalone;

import dev.herald.netty.HeraldServerConfig;
import dev.herald.server.HeraldMain;
import dev.herald.server.StandaloneServer;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * Standalone: the same server {@code java -jar broker-server/target/herald-server.jar} runs, started from code with
 * the same options (flags, or {@code HERALD_*} environment variables), then used the way any language would use
 * it: over plain HTTP.
 *
 * <p>Run it with {@code ./mvnw -B -q -pl broker-examples -am package -DskipTests}, then
 * {@code java -cp broker-server/target/herald-server.jar:broker-examples/target/classes
 * dev.herald.examples.standalone.StandaloneExample --port 8080 --history-count 100}.
 */
public final class StandaloneExample {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private StandaloneExample() {
    }

    /**
     * Starts the server with the given options, publishes and reads history over HTTP, then serves until Ctrl-C.
     *
     * @param args server options, as for {@code java -jar herald-server.jar}; {@code --help} lists them
     * @throws Exception if a request fails
     */
    public static void main(String[] args) throws Exception {
        StandaloneServer server = run(System.out, args);
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "herald-example-shutdown"));
        System.out.println("Serving; open " + server.httpUri() + "/ for the demo page. Ctrl-C stops.");
        new CountDownLatch(1).await();
    }

    /**
     * Starts the server, shows its configuration, and publishes three greetings and reads them back over HTTP.
     *
     * @param out  where to print
     * @param args server options
     * @return the running server; the caller closes it
     * @throws IOException          if a request fails
     * @throws InterruptedException if interrupted
     */
    public static StandaloneServer run(PrintStream out, String... args) throws IOException, InterruptedException {
        StandaloneServer server = HeraldMain.start(args);
        try {
            HeraldServerConfig config = server.config();
            out.println("listening on " + server.httpUri() + ", WebSocket " + server.webSocketUri());
            out.println("max frame " + config.maxFrameBytes() + " bytes, max connections " + config.maxConnections()
                    + ", slow consumers: " + config.slowConsumerPolicy() + ", demo page: " + config.demoPage());

            for (String name : new String[] {"Ada", "Grace", "Barbara"}) {
                String body = "{\"topic\":\"greetings\",\"data\":{\"hello\":\"" + name + "\"}}";
                out.println("POST /publish " + body + " -> " + post(server.httpUri().resolve("/publish"), body));
            }
            out.println("GET /topics/greetings/history -> "
                    + get(server.httpUri().resolve("/topics/greetings/history")));
            return server;
        } catch (IOException | InterruptedException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    private static String post(URI uri, String json) throws IOException, InterruptedException {
        return check(HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString()));
    }

    private static String get(URI uri) throws IOException, InterruptedException {
        return check(HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString()));
    }

    private static String check(HttpResponse<String> response) {
        if (response.statusCode() != 200) {
            throw new IllegalStateException(response.request().uri() + " answered " + response.statusCode() + ": "
                    + response.body());
        }
        return response.body();
    }
}
