package dev.herald.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.netty.auth.Authorizer.Authentication;
import dev.herald.netty.auth.Identity;
import dev.herald.netty.auth.JwtAuthorizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class TokenCommandTest {
    private static final String SECRET = "0123456789abcdef0123456789abcdef-herald";

    @TempDir
    Path dir;

    private record Run(int status, String out, String err) {
    }

    /** Runs the server's command line, as main would. */
    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = HeraldMain.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    private Path secretFile() throws IOException {
        Path file = dir.resolve("secret");
        Files.writeString(file, SECRET + "\n");
        return file;
    }

    private JwtAuthorizer authorizer(Path secret) {
        return JwtAuthorizer.builder().hmacSecretFile(secret).build();
    }

    @Test
    void theMintedTokenVerifiesAndCarriesTheClaims() throws IOException {
        Path secret = secretFile();
        Instant before = Instant.now();
        Run r = run("token", "--secret-file", secret.toString(), "--sub", "alice", "--subscribe", "chat.>",
                "--subscribe", "user:alice.inbox", "--publish", "chat.*,metrics.alice", "--ttl", "1h");
        assertEquals(0, r.status(), r.err());
        assertEquals("", r.err());
        String token = r.out().strip();
        assertEquals(token + System.lineSeparator(), r.out(), "one line, the token only");
        assertEquals(3, token.split("\\.").length, token);

        Authentication a = authorizer(secret).authenticate(token);
        Identity alice = assertInstanceOf(Authentication.Accepted.class, a, a::toString).identity();
        assertEquals("alice", alice.subject());
        assertEquals(List.of("chat.>", "user:alice.inbox"), alice.grants().subscribePatterns());
        assertEquals(List.of("chat.*", "metrics.alice"), alice.grants().publishPatterns());
        assertTrue(alice.grants().maySubscribe("chat.general"));
        assertTrue(alice.grants().mayPublish("metrics.alice"));
        assertFalse(alice.grants().mayPublish("metrics.bob"));
        Instant exp = alice.expiresAt().minus(JwtAuthorizer.DEFAULT_LEEWAY);
        assertTrue(!exp.isBefore(before.plus(Duration.ofHours(1)).minusSeconds(1))
                && !exp.isAfter(Instant.now().plus(Duration.ofHours(1))), "exp is an hour from now: " + exp);
    }

    @Test
    void withoutGrantsTheTokenAllowsNothingAndExpiresAfterTheDefaultTtl() throws IOException {
        Path secret = secretFile();
        TokenCommand command = new TokenCommand();
        Instant now = Instant.parse("2026-03-01T12:00:00Z");
        command.clock = Clock.fixed(now, ZoneOffset.UTC);
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(command).setOut(new PrintWriter(out, true));
        assertEquals(0, cl.execute("--secret-file", secret.toString(), "--sub", "probe"));
        JwtAuthorizer authorizer = JwtAuthorizer.builder().hmacSecretFile(secret)
                .clock(Clock.fixed(now.plusSeconds(60), ZoneOffset.UTC)).leeway(Duration.ZERO).build();
        Identity probe = assertInstanceOf(Authentication.Accepted.class,
                authorizer.authenticate(out.toString().strip())).identity();
        assertTrue(probe.grants().isNone());
        assertEquals(now.plus(Duration.ofHours(1)), probe.expiresAt());
    }

    @Test
    void issuerAndAudienceAreCarried() throws IOException {
        Path secret = secretFile();
        Run r = run("token", "--secret-file", secret.toString(), "--sub", "svc", "--publish", ">", "--issuer",
                "ops", "--audience", "herald");
        assertEquals(0, r.status(), r.err());
        JwtAuthorizer checking = JwtAuthorizer.builder().hmacSecretFile(secret).issuer("ops").audience("herald")
                .build();
        assertInstanceOf(Authentication.Accepted.class, checking.authenticate(r.out().strip()));
        JwtAuthorizer otherAudience = JwtAuthorizer.builder().hmacSecretFile(secret).audience("elsewhere").build();
        assertEquals(new Authentication.Refused(JwtAuthorizer.WRONG_AUDIENCE),
                otherAudience.authenticate(r.out().strip()));
    }

    @Test
    void helpListsTheTokenCommand() {
        Run r = run("--help");
        assertEquals(0, r.status());
        assertTrue(r.out().contains("Commands:") && r.out().contains("token"), r.out());
        assertTrue(r.out().contains("Mint an HS256 token"), r.out());
        Run token = run("token", "--help");
        assertEquals(0, token.status());
        for (String option : List.of("--secret-file", "--sub", "--subscribe", "--publish", "--ttl", "--issuer",
                "--audience")) {
            assertTrue(token.out().contains(option), option + " in " + token.out());
        }
        assertTrue(token.out().contains("Examples:"), token.out());
    }

    @Test
    void mistakesFailNamingTheOptionWithoutAStackTrace() throws IOException {
        Path secret = secretFile();
        Path shortSecret = dir.resolve("short");
        Files.writeString(shortSecret, "too short\n");
        record Case(String option, String[] args) {
        }
        String s = secret.toString();
        List<Case> cases = List.of(
                new Case("--secret-file", new String[] {"--sub", "a"}),
                new Case("--sub", new String[] {"--secret-file", s}),
                new Case("--sub", new String[] {"--secret-file", s, "--sub", " "}),
                new Case("--secret-file", new String[] {"--secret-file", shortSecret.toString(), "--sub", "a"}),
                new Case("--secret-file", new String[] {"--secret-file", dir.resolve("none").toString(), "--sub",
                    "a"}),
                new Case("--subscribe", new String[] {"--secret-file", s, "--sub", "a", "--subscribe", "a..b"}),
                new Case("--publish", new String[] {"--secret-file", s, "--sub", "a", "--publish", "a.>.b"}),
                new Case("--ttl", new String[] {"--secret-file", s, "--sub", "a", "--ttl", "0"}),
                new Case("--ttl", new String[] {"--secret-file", s, "--sub", "a", "--ttl", "60"}),
                new Case("--issuer", new String[] {"--secret-file", s, "--sub", "a", "--issuer", ""}));
        for (Case c : cases) {
            String[] args = new String[c.args().length + 1];
            args[0] = "token";
            System.arraycopy(c.args(), 0, args, 1, c.args().length);
            Run r = run(args);
            String what = String.join(" ", args) + " -> " + r.err();
            assertEquals(2, r.status(), what);
            assertTrue(r.err().contains(c.option()), what);
            assertFalse(r.err().contains("\tat "), "no stack trace: " + what);
            assertFalse(r.err().contains("Exception"), "no exception class name: " + what);
            assertFalse(r.err().contains("too short"), "the secret is not shown: " + what);
            assertEquals("", r.out(), what);
        }
    }
}
