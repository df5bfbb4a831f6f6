package dev.herald.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.herald.netty.TestCertificate;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Drives the demo page in a real headless Chromium: the Debian {@code chromium} and {@code chromium-driver}
 * packages, so nothing is downloaded. Skipped where Chromium is not installed, except in CI ({@code CI=true}),
 * where it must run.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class DemoPageBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Duration WAIT = Duration.ofSeconds(15);

    private StandaloneServer server;
    private ChromeDriverService service;
    private WebDriver browser;
    private Path profile;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** The bearer token of {@link #publishOverHttp}, or {@code null} for none. */
    private String token;

    @BeforeEach
    void start() throws IOException {
        boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
        assumeTrue(ci || Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "Chromium is not installed (apt-get install chromium chromium-driver)");
        profile = Files.createTempDirectory("herald-chromium-");
        ChromeOptions options = new ChromeOptions()
                .setBinary(CHROMIUM.toFile())
                .addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        "--disable-background-networking", "--no-first-run", "--disable-component-update",
                        "--disable-sync", "--user-data-dir=" + profile);
        options.setAcceptInsecureCerts(true); // the TLS test's certificate is self-signed
        service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
                .usingAnyFreePort()
                .build();
        browser = new ChromeDriver(service, options);
    }

    @AfterEach
    void stop() throws IOException {
        try {
            if (browser != null) {
                browser.quit();
            }
        } finally {
            if (service != null) {
                service.stop();
            }
            if (server != null) {
                server.close();
            }
            if (profile != null) {
                try (Stream<Path> files = Files.walk(profile)) {
                    files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
                }
            }
        }
    }

    @Test
    void subscribesShowsLiveMessagesAndHistoryAndResumesAfterReconnect() throws Exception {
        server = HeraldMain.start("--host", "127.0.0.1", "--port", "0");
        WebDriverWait wait = new WebDriverWait(browser, WAIT);
        browser.get(server.httpUri().resolve("/").toString());
        wait.until(ExpectedConditions.textToBe(By.id("status"), "connected"));

        browser.findElement(By.id("topic")).sendKeys("demo.chat");
        browser.findElement(By.id("subscribe")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(
                By.cssSelector("#subscriptions li[data-topic='demo.chat'] .position"), "offset 0 @ "));

        // Published over HTTP by someone else: it shows up live on the page, with its offset.
        publishOverHttp("demo.chat", "{\"text\":\"hello from java\"}");
        WebElement first = wait.until(ExpectedConditions.presenceOfElementLocated(message("demo.chat", 1)));
        assertTrue(first.getText().contains("demo.chat #1"), first.getText());
        assertTrue(first.getText().contains("{\"text\":\"hello from java\"}"), first.getText());

        // Published from the page over the WebSocket.
        WebElement topic = browser.findElement(By.id("pub-topic"));
        topic.sendKeys("demo.chat");
        WebElement data = browser.findElement(By.id("pub-data"));
        data.clear();
        data.sendKeys("{\"text\":\"hello from the browser\"}");
        browser.findElement(By.id("publish")).click();
        WebElement second = wait.until(ExpectedConditions.presenceOfElementLocated(message("demo.chat", 2)));
        assertTrue(second.getText().contains("hello from the browser"), second.getText());
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("pub-result"), "demo.chat #2"));

        // The topic's history, from GET /topics/{topic}/history.
        browser.findElement(By.cssSelector("#subscriptions li[data-topic='demo.chat'] button")).click();
        wait.until(d -> d.findElements(By.cssSelector("#history li")).size() == 2);
        assertEquals(List.of("1", "2"), browser.findElements(By.cssSelector("#history li")).stream()
                .map(li -> li.getDomAttribute("data-offset")).toList());

        // Offline while a message is published: on reconnect the page resumes from offset 2 and its epoch, so
        // the missed message arrives, once, and nothing before it repeats.
        browser.findElement(By.id("disconnect")).click();
        wait.until(ExpectedConditions.textToBe(By.id("status"), "disconnected"));
        publishOverHttp("demo.chat", "{\"text\":\"sent while you were away\"}");
        browser.findElement(By.id("connect")).click();
        WebElement missed = wait.until(ExpectedConditions.presenceOfElementLocated(message("demo.chat", 3)));
        assertTrue(missed.getText().contains("sent while you were away"), missed.getText());
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("log"), "resumed with nothing missed"));
        publishOverHttp("demo.chat", "{\"text\":\"live again\"}");
        wait.until(ExpectedConditions.presenceOfElementLocated(message("demo.chat", 4)));
        assertEquals(List.of("4", "3", "2", "1"), browser.findElements(By.cssSelector("#messages li")).stream()
                .map(li -> li.getDomAttribute("data-offset")).toList(), "each message once, newest first");
    }

    @Test
    void reconnectsByItselfWhenTheServerClosesAndLosesNothing() throws Exception {
        // The server closes connections silent for a second, and sends no heartbeat that would keep them busy:
        // the page is dropped again and again, and must reconnect and resume on its own each time.
        server = HeraldMain.start("--host", "127.0.0.1", "--port", "0", "--idle-timeout", "1s",
                "--heartbeat-interval", "1m");
        WebDriverWait wait = new WebDriverWait(browser, WAIT);
        browser.get(server.httpUri().resolve("/").toString());
        wait.until(ExpectedConditions.textToBe(By.id("status"), "connected"));
        browser.findElement(By.id("topic")).sendKeys("demo.feed");
        browser.findElement(By.id("subscribe")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(
                By.cssSelector("#subscriptions li[data-topic='demo.feed'] .position"), "offset 0 @ "));

        for (int i = 1; i <= 4; i++) {
            int dropsBefore = reconnects();
            publishOverHttp("demo.feed", "{\"n\":" + i + "}");
            // Wait for the next drop, polling often so the next message is published while the page is away.
            new WebDriverWait(browser, WAIT, Duration.ofMillis(20)).until(d -> reconnects() > dropsBefore);
        }
        wait.until(ExpectedConditions.presenceOfElementLocated(message("demo.feed", 4)));
        assertEquals(List.of("4", "3", "2", "1"), browser.findElements(By.cssSelector("#messages li")).stream()
                .map(li -> li.getDomAttribute("data-offset")).toList(), "each message once, in order");
    }

    @Test
    void aPastedTokenAuthenticatesThePageAndItsGrantsApply(@TempDir Path dir) throws Exception {
        Path secret = dir.resolve("secret");
        Files.writeString(secret, "a-secret-of-more-than-thirty-two-bytes-for-the-page\n");
        token = mint(secret, "--sub", "alice", "--subscribe", "chat.>", "--publish", "chat.alice.>");
        server = HeraldMain.start("--host", "127.0.0.1", "--port", "0", "--auth-hmac-secret-file", secret.toString());
        WebDriverWait wait = new WebDriverWait(browser, WAIT);
        browser.get(server.httpUri().resolve("/").toString());
        wait.until(ExpectedConditions.textToBe(By.id("status"), "connected"));
        browser.findElement(By.id("disconnect")).click();
        wait.until(ExpectedConditions.textToBe(By.id("status"), "disconnected"));
        browser.findElement(By.id("token")).sendKeys(token);
        browser.findElement(By.id("connect")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("log"), "authenticated as alice"));

        browser.findElement(By.id("topic")).sendKeys("chat.room1");
        browser.findElement(By.id("subscribe")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(
                By.cssSelector("#subscriptions li[data-topic='chat.room1'] .position"), "offset 0 @ "));
        browser.findElement(By.id("topic")).clear();
        browser.findElement(By.id("topic")).sendKeys("news.eu");
        browser.findElement(By.id("subscribe")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("log"), "error forbidden"));

        // The page's own HTTP publish carries the token as a bearer header.
        browser.findElement(By.id("via-http")).click();
        browser.findElement(By.id("pub-topic")).sendKeys("chat.alice.status");
        browser.findElement(By.id("publish")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("pub-result"),
                "published chat.alice.status #1 over HTTP"));
        publishOverHttp("chat.room1", "{\"text\":\"hello alice\"}", 403);
        token = null;
        publishOverHttp("chat.room1", "{\"text\":\"hello alice\"}", 401);
        token = mint(secret, "--sub", "bob", "--publish", "chat.>");
        publishOverHttp("chat.room1", "{\"text\":\"hello alice\"}", 200);
        WebElement message = wait.until(ExpectedConditions.presenceOfElementLocated(message("chat.room1", 1)));
        assertTrue(message.getText().contains("hello alice"), message.getText());
    }

    private static String mint(Path secret, String... claims) {
        StringWriter out = new StringWriter();
        String[] args = new String[3 + claims.length];
        args[0] = "token";
        args[1] = "--secret-file";
        args[2] = secret.toString();
        System.arraycopy(claims, 0, args, 3, claims.length);
        assertEquals(0, HeraldMain.commandLine(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true))
                .execute(args));
        return out.toString().strip();
    }

    @Test
    void overHttpsThePageConnectsWithWssAndPublishesFromItsOwnOrigin(@TempDir Path dir) throws Exception {
        TestCertificate certificate = TestCertificate.create(dir);
        server = HeraldMain.start("--host", "127.0.0.1", "--port", "0",
                "--tls-cert-file", certificate.certificateFile().toString(),
                "--tls-key-file", certificate.privateKeyFile().toString());
        HttpClient https = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .sslContext(certificate.clientContext()).connectTimeout(Duration.ofSeconds(5)).build();
        WebDriverWait wait = new WebDriverWait(browser, WAIT);
        browser.get(server.httpUri().resolve("/").toString());
        wait.until(ExpectedConditions.textToBe(By.id("status"), "connected"));
        assertEquals(server.webSocketUri().toString(), browser.findElement(By.id("url")).getDomProperty("value"));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("log"),
                "connected to " + server.webSocketUri()));

        browser.findElement(By.id("topic")).sendKeys("demo.secure");
        browser.findElement(By.id("subscribe")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(
                By.cssSelector("#subscriptions li[data-topic='demo.secure'] .position"), "offset 0 @ "));
        publishOverHttp(https, "demo.secure", "{\"text\":\"over https\"}");
        WebElement first = wait.until(ExpectedConditions.presenceOfElementLocated(message("demo.secure", 1)));
        assertTrue(first.getText().contains("over https"), first.getText());

        // Published by the page over HTTP: a POST with the page's https origin, which is the server's own.
        browser.findElement(By.id("pub-topic")).sendKeys("demo.secure");
        browser.findElement(By.id("via-http")).click();
        browser.findElement(By.id("publish")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("pub-result"),
                "published demo.secure #2 over HTTP"));
        wait.until(ExpectedConditions.presenceOfElementLocated(message("demo.secure", 2)));
    }

    private int reconnects() {
        return (int) browser.findElements(By.cssSelector("#log li")).stream()
                .filter(li -> li.getText().contains("reconnecting in")).count();
    }

    private static By message(String topic, long offset) {
        return By.cssSelector("#messages li[data-topic='" + topic + "'][data-offset='" + offset + "']");
    }

    private void publishOverHttp(String topic, String json) throws IOException, InterruptedException {
        publishOverHttp(http, topic, json, 200);
    }

    private void publishOverHttp(String topic, String json, int status) throws IOException, InterruptedException {
        publishOverHttp(http, topic, json, status);
    }

    private void publishOverHttp(HttpClient client, String topic, String json)
            throws IOException, InterruptedException {
        publishOverHttp(client, topic, json, 200);
    }

    /** Publishes with {@link #token} as a bearer token, if set, and checks the status. */
    private void publishOverHttp(HttpClient client, String topic, String json, int status)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(server.httpUri().resolve("/publish"))
                .timeout(Duration.ofSeconds(5))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"topic\":\"" + topic + "\",\"data\":" + json + "}"));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(status, response.statusCode(), response.body());
    }
}
