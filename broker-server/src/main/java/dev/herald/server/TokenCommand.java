package dev.herald.server;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.herald.core.HeraldException;
import dev.herald.core.Topics;
import dev.herald.netty.auth.Authorizer.Authentication;
import dev.herald.netty.auth.JwtAuthorizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code herald-server token}: mints an HS256 token with the server's HMAC secret and prints it, for operators and
 * scripts. The token carries the claims {@link JwtAuthorizer} reads: {@code sub}, {@code subscribe},
 * {@code publish}, {@code iat} and {@code exp}.
 */
@Command(name = "token", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        versionProvider = HeraldMain.Version.class,
        header = "Mint an HS256 token for a client and print it.",
        description = {
            "Signs a JSON Web Token with the HMAC secret in --secret-file, the same file the server verifies tokens "
                    + "with, and prints it on one line. Clients send it as 'Authorization: Bearer TOKEN'.",
            "The token names its subject and what it may do: the topic names and patterns it may subscribe to "
                    + "(and read the history of) and publish to. Patterns use * for one segment and a final > for "
                    + "one or more. Without --subscribe or --publish it may do neither.",
            ""},
        footer = {"",
            "Examples:",
            "  head -c 32 /dev/urandom | base64 > secret",
            "  java -jar herald-server.jar token --secret-file secret --sub alice \\",
            "      --subscribe 'chat.>' --publish 'chat.>' --ttl 1h",
            "  java -jar herald-server.jar token --secret-file secret --sub backend \\",
            "      --publish '>' --ttl 30d",
            "",
            "Quote patterns with > or *, or the shell reads them as a redirection or a glob."})
final class TokenCommand implements Callable<Integer> {
    static final String TTL = "1h";

    @Spec
    CommandSpec spec;

    @Option(names = "--secret-file", required = true, paramLabel = "FILE",
            description = "File holding the HMAC secret: at least 32 bytes, trailing newlines ignored.")
    Path secretFile;

    @Option(names = "--sub", required = true, paramLabel = "SUBJECT",
            description = "Who the token is for (the sub claim), as the server's logs will name the client.")
    String subject;

    @Option(names = "--subscribe", paramLabel = "FILTER", split = ",",
            description = "A topic name or pattern the client may subscribe to and read the history of; repeat "
                    + "the option or separate with commas. [default: none]")
    List<String> subscribe = new ArrayList<>();

    @Option(names = "--publish", paramLabel = "FILTER", split = ",",
            description = "A topic name or pattern the client may publish to; repeat the option or separate with "
                    + "commas. [default: none]")
    List<String> publish = new ArrayList<>();

    @Option(names = "--ttl", paramLabel = "DURATION", converter = OptionValues.DurationConverter.class,
            defaultValue = TTL,
            description = "How long the token is valid, from now: 15m, 1h, 7d. [default " + TTL + "]")
    Duration ttl;

    @Option(names = "--issuer", paramLabel = "ISS",
            description = "The iss claim, for a server that checks its issuer. [default: none]")
    String issuer;

    @Option(names = "--audience", paramLabel = "AUD",
            description = "The aud claim, for a server that checks its audience. [default: none]")
    String audience;

    /** What time it is; a test may fix it. */
    Clock clock = Clock.systemUTC();

    /** Creates the command; picocli fills in the options. */
    TokenCommand() {
    }

    /** Mints the token, checks that it verifies with the same secret, and prints it. */
    @Override
    public Integer call() {
        String token = mint();
        spec.commandLine().getOut().println(token);
        spec.commandLine().getOut().flush();
        return 0;
    }

    String mint() {
        if (subject.isBlank()) {
            throw invalid("--sub", "must not be blank");
        }
        if (ttl.isZero()) {
            throw invalid("--ttl", "must be positive");
        }
        requireFilters("--subscribe", subscribe);
        requireFilters("--publish", publish);
        if (issuer != null && issuer.isBlank()) {
            throw invalid("--issuer", "must not be blank");
        }
        if (audience != null && audience.isBlank()) {
            throw invalid("--audience", "must not be blank");
        }
        JwtAuthorizer.Builder verifierBuilder = JwtAuthorizer.builder().clock(clock);
        try {
            verifierBuilder.hmacSecretFile(secretFile);
        } catch (IllegalArgumentException e) {
            throw invalid("--secret-file", e.getMessage());
        }
        if (issuer != null) {
            verifierBuilder.issuer(issuer);
        }
        if (audience != null) {
            verifierBuilder.audience(audience);
        }
        JwtAuthorizer verifier = verifierBuilder.build();
        byte[] secret = secret();
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().subject(subject).issueTime(Date.from(now));
        try {
            claims.expirationTime(Date.from(now.plus(ttl)));
        } catch (ArithmeticException | IllegalArgumentException e) {
            throw invalid("--ttl", "'" + ttl + "' is too long");
        }
        if (!subscribe.isEmpty()) {
            claims.claim("subscribe", List.copyOf(subscribe));
        }
        if (!publish.isEmpty()) {
            claims.claim("publish", List.copyOf(publish));
        }
        if (issuer != null) {
            claims.issuer(issuer);
        }
        if (audience != null) {
            claims.audience(audience);
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT).build(),
                claims.build());
        try {
            jwt.sign(new MACSigner(secret));
        } catch (JOSEException e) {
            throw invalid("--secret-file", e.getMessage());
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
        String token = jwt.serialize();
        // The server reads the secret file the same way; a token it would refuse must not be handed out.
        Authentication check = verifier.authenticate(token);
        if (!(check instanceof Authentication.Accepted)) {
            throw new IllegalStateException("the minted token does not verify: " + check);
        }
        return token;
    }

    /** The secret as {@link JwtAuthorizer.Builder#hmacSecretFile} reads it: without trailing line breaks. */
    private byte[] secret() {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(secretFile);
        } catch (IOException e) {
            throw invalid("--secret-file", "cannot read " + secretFile + ": "
                    + (e instanceof NoSuchFileException ? "no such file" : e.getMessage()));
        }
        int length = bytes.length;
        while (length > 0 && (bytes[length - 1] == '\n' || bytes[length - 1] == '\r')) {
            length--;
        }
        byte[] secret = Arrays.copyOf(bytes, length);
        Arrays.fill(bytes, (byte) 0);
        return secret;
    }

    private void requireFilters(String option, List<String> filters) {
        for (String filter : filters) {
            try {
                Topics.requireFilter(filter);
            } catch (HeraldException e) {
                throw invalid(option, e.getMessage());
            }
        }
    }

    private ParameterException invalid(String option, String message) {
        return new ParameterException(spec.commandLine(), "Invalid value for option '" + option + "': " + message);
    }
}
