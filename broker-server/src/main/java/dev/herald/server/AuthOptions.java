package dev.herald.server;

import dev.herald.netty.auth.Authorizer;
import dev.herald.netty.auth.JwtAuthorizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The standalone server's authentication options: the keys that verify client tokens, what clients without a
 * token may do, and the token {@code /metrics} needs. Without a key, authentication is off.
 */
final class AuthOptions {
    static final String HMAC_OPTION = "--auth-hmac-secret-file";
    static final String PUBLIC_KEY_OPTION = "--auth-public-key-file";
    static final String JWKS_OPTION = "--auth-jwks-file";
    static final String LEEWAY = "30s";

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = HMAC_OPTION, paramLabel = "FILE", defaultValue = "${env:HERALD_AUTH_HMAC_SECRET_FILE:-}",
            description = "Verify HS256/384/512 tokens with the secret in this file (at least 32 bytes; trailing "
                    + "newlines ignored). The 'token' command mints tokens with it. [HERALD_AUTH_HMAC_SECRET_FILE, "
                    + "default: none]")
    String hmacSecretFile;

    @Option(names = PUBLIC_KEY_OPTION, paramLabel = "FILE", defaultValue = "${env:HERALD_AUTH_PUBLIC_KEY_FILE:-}",
            description = "Verify RS*/PS*/ES* tokens with the RSA or EC public key (or certificate) in this PEM "
                    + "file. [HERALD_AUTH_PUBLIC_KEY_FILE, default: none]")
    String publicKeyFile;

    @Option(names = JWKS_OPTION, paramLabel = "FILE", defaultValue = "${env:HERALD_AUTH_JWKS_FILE:-}",
            description = "Verify tokens with the public keys of this JSON Web Key Set file, chosen by the token's "
                    + "kid. [HERALD_AUTH_JWKS_FILE, default: none]")
    String jwksFile;

    @Option(names = "--auth-leeway", paramLabel = "DURATION", converter = OptionValues.DurationConverter.class,
            defaultValue = "${env:HERALD_AUTH_LEEWAY:-" + LEEWAY + "}",
            description = "Clock difference allowed when checking a token's exp and nbf. [HERALD_AUTH_LEEWAY, "
                    + "default " + LEEWAY + "]")
    Duration leeway;

    @Option(names = "--anonymous-subscribe", paramLabel = "PATTERNS",
            defaultValue = "${env:HERALD_ANONYMOUS_SUBSCRIBE:-}",
            description = "Comma-separated topic names and patterns that clients without a token may subscribe "
                    + "to and read the history of. [HERALD_ANONYMOUS_SUBSCRIBE, default: none]")
    String anonymousSubscribe;

    @Option(names = "--anonymous-publish", paramLabel = "PATTERNS", defaultValue = "${env:HERALD_ANONYMOUS_PUBLISH:-}",
            description = "Comma-separated topic names and patterns that clients without a token may publish to. "
                    + "[HERALD_ANONYMOUS_PUBLISH, default: none]")
    String anonymousPublish;

    @Option(names = "--metrics-token-file", paramLabel = "FILE", defaultValue = "${env:HERALD_METRICS_TOKEN_FILE:-}",
            description = "GET /metrics then needs 'Authorization: Bearer' with the token in this file (trailing "
                    + "newlines ignored). [HERALD_METRICS_TOKEN_FILE, default: none, /metrics is open]")
    String metricsTokenFile;

    /** The authorizer the options ask for: a {@link JwtAuthorizer} with their keys, or none without a key. */
    Authorizer authorizer() {
        boolean anyKey = !hmacSecretFile.isBlank() || !publicKeyFile.isBlank() || !jwksFile.isBlank();
        if (!anyKey) {
            if (!anonymousSubscribe.isBlank() || !anonymousPublish.isBlank()) {
                throw new ParameterException(spec.commandLine(), "Options '--anonymous-subscribe' and "
                        + "'--anonymous-publish' limit clients without a token, which needs authentication: give a "
                        + "key with " + HMAC_OPTION + ", " + PUBLIC_KEY_OPTION + " or " + JWKS_OPTION);
            }
            return Authorizer.allowAll();
        }
        JwtAuthorizer.Builder b = JwtAuthorizer.builder();
        if (!hmacSecretFile.isBlank()) {
            set(HMAC_OPTION, () -> b.hmacSecretFile(path(HMAC_OPTION, hmacSecretFile)));
        }
        if (!publicKeyFile.isBlank()) {
            set(PUBLIC_KEY_OPTION, () -> b.publicKeyFile(path(PUBLIC_KEY_OPTION, publicKeyFile)));
        }
        if (!jwksFile.isBlank()) {
            set(JWKS_OPTION, () -> b.jwksFile(path(JWKS_OPTION, jwksFile)));
        }
        set("--auth-leeway", () -> b.leeway(leeway));
        set("--anonymous-subscribe", () -> b.anonymousSubscribe(list(anonymousSubscribe)));
        set("--anonymous-publish", () -> b.anonymousPublish(list(anonymousPublish)));
        return b.build();
    }

    /** The token {@code /metrics} needs, or {@code null} if it is open. */
    String metricsToken() {
        if (metricsTokenFile.isBlank()) {
            return null;
        }
        Path file = path("--metrics-token-file", metricsTokenFile);
        String token;
        try {
            token = Files.readString(file, StandardCharsets.UTF_8).stripTrailing();
        } catch (IOException e) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--metrics-token-file': "
                    + "cannot read " + file + ": " + (e instanceof NoSuchFileException ? "no such file"
                    : e.getMessage()));
        }
        if (token.isBlank()) {
            throw new ParameterException(spec.commandLine(),
                    "Invalid value for option '--metrics-token-file': " + file + " is empty");
        }
        return token;
    }

    private static List<String> list(String patterns) {
        return Arrays.stream(patterns.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    private Path path(String option, String value) {
        try {
            return Path.of(value.strip());
        } catch (InvalidPathException e) {
            throw new ParameterException(spec.commandLine(),
                    "Invalid value for option '" + option + "': '" + value + "' is not a file name");
        }
    }

    private void set(String option, Runnable setter) {
        try {
            setter.run();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(),
                    "Invalid value for option '" + option + "': " + e.getMessage());
        }
    }
}
