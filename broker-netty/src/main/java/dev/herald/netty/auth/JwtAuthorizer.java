package dev.herald.netty.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jwt.EncryptedJWT;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.herald.core.Topics;
import java.nio.file.Path;
import java.security.PublicKey;
import java.text.ParseException;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link Authorizer} that accepts signed JSON Web Tokens (RFC 7519) and reads a client's grants from their claims.
 *
 * <p>Thread contract: immutable and thread-safe. {@link #authenticate} only computes: it parses the token and checks
 * its signature with keys loaded when the authorizer was built. It never reads a file or the network, so it may run
 * on an event loop. The signature check is most of the cost: measured on JDK 17, some microseconds for HMAC, tens for
 * RSA, and about a millisecond for EC, whose JDK implementation is slow. So the signatures of the last
 * {@value #VERIFIED_CACHE_SIZE} tokens that verified are remembered (by the token's exact text; a token seen again
 * has its times and claims checked anew, not its signature): a client that sends the same token with every request
 * pays for one check. A server that sees many new EC tokens per second should still count on the cost.
 *
 * <h2>Keys and algorithms</h2>
 * Any number of keys may be configured together; each is used only with the algorithms of its own type:
 * <ul>
 *   <li>an HMAC secret ({@link Builder#hmacSecret}, {@link Builder#hmacSecretFile}): HS256, and also HS384 if it is
 *       at least 48 bytes long and HS512 if at least 64 (RFC 7518 asks for a key as long as the hash). A secret
 *       shorter than 32 bytes is refused;</li>
 *   <li>an RSA public key of at least 2048 bits ({@link Builder#publicKey}, {@link Builder#publicKeyFile}): RS256,
 *       RS384, RS512, PS256, PS384, PS512;</li>
 *   <li>an EC public key: ES256 on P-256, ES384 on P-384, ES512 on P-521;</li>
 *   <li>the RSA and EC public keys of a JSON Web Key Set ({@link Builder#jwksFile}); a key whose {@code alg} is set
 *       is used with that algorithm only.</li>
 * </ul>
 * So a token whose header says HS256 is never checked with an RSA key's bytes as the secret (the classic algorithm
 * confusion), and {@code "alg":"none"} is always refused. Headers that point elsewhere for a key ({@code jwk},
 * {@code jku}, {@code x5u}, {@code x5c}) are ignored. A token's {@code kid}, when present, selects the keys with that
 * id and those configured without one; a token without {@code kid} is tried with every key of its algorithm.
 *
 * <h2>Claims</h2>
 * <ul>
 *   <li>{@code sub}: required, a non-empty string: the {@linkplain Identity#subject() subject}. (The empty subject
 *       is the anonymous client's.)</li>
 *   <li>{@code exp}, {@code nbf}: optional NumericDates (seconds since the epoch). A token is accepted from
 *       {@code nbf - leeway} and until, not including, {@code exp + leeway}; {@link Identity#expiresAt()} is
 *       {@code exp + leeway}, or {@code null} without {@code exp}. {@link Builder#requireExpiry} refuses tokens
 *       without {@code exp}.</li>
 *   <li>{@code subscribe}: the topic names and patterns the client may subscribe to and read the history of;
 *       {@code publish}: those it may publish to (see {@link Grants}). Each is optional (missing or {@code null}
 *       grants nothing), but if present must be an array of valid topic names and patterns, or the whole token is
 *       refused.</li>
 *   <li>{@code iss}, {@code aud}: checked only if {@link Builder#issuer} or {@link Builder#audience} is set.</li>
 *   <li>Other claims ({@code iat}, {@code jti}, ...) are ignored.</li>
 * </ul>
 * For example, with the payload
 * <pre>{@code
 * {
 *   "sub": "alice",
 *   "exp": 1767225600,
 *   "subscribe": ["chat.>", "user:alice.inbox"],
 *   "publish": ["chat.*"]
 * }
 * }</pre>
 * alice may subscribe to {@code chat.general}, {@code chat.*}, {@code chat.>} and {@code user:alice.inbox} and read
 * their history, publish to {@code chat.general} but not to {@code chat.general.archive}, and neither subscribe to
 * {@code user:bob.inbox} nor to {@code >}; her identity expires 30 seconds (the default leeway) after
 * 2026-01-01T00:00Z.
 *
 * <h2>Refusals</h2>
 * {@link Authentication.Refused#reason()} is one of these short texts, meant for the client; none contains key
 * material or echoes the token:
 * {@value #MALFORMED}, {@value #UNSIGNED}, {@value #ENCRYPTED}, {@value #UNSUPPORTED_ALGORITHM},
 * {@value #UNSUPPORTED_HEADER}, {@value #UNKNOWN_KEY}, {@value #SIGNATURE_INVALID}, {@value #EXPIRED},
 * {@value #NOT_YET_VALID}, {@value #NO_EXPIRY}, {@value #WRONG_ISSUER}, {@value #WRONG_AUDIENCE},
 * {@value #INVALID_EXP}, {@value #INVALID_NBF}, {@value #MISSING_SUBJECT}, {@value #INVALID_SUBJECT}, and
 * {@code "invalid subscribe claim: ..."} or {@code "invalid publish claim: ..."} saying whether the claim is not an
 * array or which entry is not a topic name or pattern. The signature is checked before any claim is read.
 *
 * <h2>Example</h2>
 * <pre>{@code
 * Authorizer authorizer = JwtAuthorizer.builder()
 *         .hmacSecretFile(Path.of("/etc/herald/secret"))
 *         .jwksFile(Path.of("/etc/herald/idp-keys.json"))
 *         .leeway(Duration.ofSeconds(10))
 *         .anonymousSubscribe(List.of("public.>"))
 *         .build();
 * }</pre>
 */
public final class JwtAuthorizer implements Authorizer {
    private static final Logger LOG = LoggerFactory.getLogger(JwtAuthorizer.class);

    /** The default tolerance for clocks that disagree, applied to {@code exp} and {@code nbf}: 30 seconds. */
    public static final Duration DEFAULT_LEEWAY = Duration.ofSeconds(30);
    /** Tokens whose verified signature is remembered; a few KiB each at most, as headers and frames are bounded. */
    static final int VERIFIED_CACHE_SIZE = 1024;

    /** Refused: not a JWT (not three Base64URL parts, a header or payload that is not a JSON object). */
    public static final String MALFORMED = "malformed token";
    /** Refused: an unsecured JWT, {@code "alg":"none"}. */
    public static final String UNSIGNED = "unsigned token";
    /** Refused: an encrypted JWT (JWE). */
    public static final String ENCRYPTED = "encrypted token not supported";
    /** Refused: no configured key verifies the token's {@code alg}. */
    public static final String UNSUPPORTED_ALGORITHM = "unsupported algorithm";
    /** Refused: the header has {@code crit} parameters, or an unencoded payload ({@code "b64":false}). */
    public static final String UNSUPPORTED_HEADER = "unsupported header";
    /** Refused: keys verify the token's {@code alg}, but none answers to its {@code kid}. */
    public static final String UNKNOWN_KEY = "unknown key id";
    /** Refused: no key that could have signed the token verifies its signature. */
    public static final String SIGNATURE_INVALID = "signature invalid";
    /** Refused: {@code exp} plus the leeway has passed. */
    public static final String EXPIRED = "token expired";
    /** Refused: {@code nbf} minus the leeway is still to come. */
    public static final String NOT_YET_VALID = "token not yet valid";
    /** Refused: no {@code exp}, and {@link Builder#requireExpiry} asks for one. */
    public static final String NO_EXPIRY = "token has no exp claim";
    /** Refused: {@code iss} is not the configured {@link Builder#issuer}. */
    public static final String WRONG_ISSUER = "issuer not accepted";
    /** Refused: {@code aud} does not include the configured {@link Builder#audience}. */
    public static final String WRONG_AUDIENCE = "audience not accepted";
    /** Refused: {@code exp} is not a number of seconds in the range of dates. */
    public static final String INVALID_EXP = "invalid exp claim";
    /** Refused: {@code nbf} is not a number of seconds in the range of dates. */
    public static final String INVALID_NBF = "invalid nbf claim";
    /** Refused: no {@code sub}. */
    public static final String MISSING_SUBJECT = "missing sub claim";
    /** Refused: {@code sub} is not a non-empty string. */
    public static final String INVALID_SUBJECT = "invalid sub claim: must be a non-empty string";

    private static final String SUBSCRIBE = "subscribe";
    private static final String PUBLISH = "publish";
    /** NumericDates beyond this many seconds either way are refused rather than risk overflow. */
    private static final double MAX_NUMERIC_DATE = 1e15;

    private final List<JwtKeys.Key> keys;
    private final Set<JWSAlgorithm> algorithms;
    private final Duration leeway;
    private final Clock clock;
    private final boolean requireExpiry;
    private final String issuer;
    private final String audience;
    private final Identity anonymous;
    /**
     * The claims of tokens whose signature verified, by the token's text, so that a client sending the same token
     * with every HTTP request costs one signature check (about a millisecond for ES256), not one per request. Only
     * the signature is remembered: time and claims are checked on every use. Bounded: emptied when full.
     */
    private final Map<String, Map<String, Object>> verifiedClaims = new ConcurrentHashMap<>();

    private JwtAuthorizer(Builder b) {
        this.keys = List.copyOf(b.keys);
        Set<JWSAlgorithm> all = new LinkedHashSet<>();
        keys.forEach(k -> all.addAll(k.algorithms()));
        this.algorithms = Set.copyOf(all);
        this.leeway = b.leeway != null ? b.leeway : DEFAULT_LEEWAY;
        this.clock = b.clock != null ? b.clock : Clock.systemUTC();
        this.requireExpiry = b.requireExpiry != null && b.requireExpiry;
        this.issuer = b.issuer;
        this.audience = b.audience;
        this.anonymous = new Identity("", Grants.of(
                b.anonymousSubscribe != null ? b.anonymousSubscribe : List.of(),
                b.anonymousPublish != null ? b.anonymousPublish : List.of()), null);
    }

    /**
     * A new builder. At least one key must be added before {@link Builder#build()}.
     *
     * @return a builder with the defaults: leeway {@link #DEFAULT_LEEWAY}, the system clock, {@code exp} optional,
     *         no issuer or audience check, anonymous clients may do nothing
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * What a client without a token may do: the {@linkplain Builder#anonymousSubscribe anonymous grants}, with the
     * empty subject and no expiry.
     *
     * @return the anonymous identity
     */
    @Override
    public Identity anonymous() {
        return anonymous;
    }

    /**
     * Verifies a token's signature, then its time window and claims, and returns the identity its claims describe.
     *
     * @param token a compact JWS, as sent after {@code Bearer }
     * @return the identity, or the reason for refusing the token (one of those listed in the class documentation)
     */
    @Override
    public Authentication authenticate(String token) {
        try {
            return verify(token);
        } catch (RuntimeException e) {
            // Nothing a client sends should get here; refuse, and keep the detail for a developer.
            LOG.debug("Token refused on an unexpected error", e);
            return new Authentication.Refused(MALFORMED);
        }
    }

    private Authentication verify(String token) {
        Map<String, Object> known = verifiedClaims.get(token);
        if (known != null) {
            return checkClaims(known);
        }
        JWT jwt;
        try {
            jwt = JWTParser.parse(token.strip());
        } catch (ParseException e) {
            return refused(MALFORMED);
        }
        if (jwt instanceof PlainJWT) {
            return refused(UNSIGNED);
        }
        if (jwt instanceof EncryptedJWT || !(jwt instanceof SignedJWT signed)) {
            return refused(ENCRYPTED);
        }
        JWSHeader header = signed.getHeader();
        JWSAlgorithm alg = header.getAlgorithm();
        if (!algorithms.contains(alg)) {
            return refused(UNSUPPORTED_ALGORITHM);
        }
        if (header.getCriticalParams() != null && !header.getCriticalParams().isEmpty()
                || !header.isBase64URLEncodePayload()) {
            return refused(UNSUPPORTED_HEADER);
        }
        String kid = header.getKeyID();
        boolean candidate = false;
        boolean verified = false;
        byte[] signingInput = signed.getSigningInput();
        for (JwtKeys.Key key : keys) {
            if (!key.accepts(alg) || !key.answersTo(kid)) {
                continue;
            }
            candidate = true;
            try {
                if (key.verifier().verify(header, signingInput, signed.getSignature())) {
                    verified = true;
                    break;
                }
            } catch (JOSEException e) {
                // A signature of the wrong shape for this key: not verified by it.
            }
        }
        if (!candidate) {
            return refused(UNKNOWN_KEY);
        }
        if (!verified) {
            return refused(SIGNATURE_INVALID);
        }
        Map<String, Object> claims = signed.getPayload().toJSONObject();
        if (claims == null) {
            return refused(MALFORMED);
        }
        if (verifiedClaims.size() >= VERIFIED_CACHE_SIZE) {
            verifiedClaims.clear();
        }
        verifiedClaims.put(token, Collections.unmodifiableMap(new HashMap<>(claims)));
        return checkClaims(claims);
    }

    private Authentication checkClaims(Map<String, Object> claims) {
        Instant now = clock.instant();
        Instant exp;
        Instant nbf;
        try {
            exp = numericDate(claims.get("exp"));
        } catch (IllegalArgumentException | DateTimeException | ArithmeticException e) {
            return refused(INVALID_EXP);
        }
        try {
            nbf = numericDate(claims.get("nbf"));
        } catch (IllegalArgumentException | DateTimeException | ArithmeticException e) {
            return refused(INVALID_NBF);
        }
        Instant expiresAt = null;
        if (exp != null) {
            expiresAt = exp.plus(leeway);
            if (!now.isBefore(expiresAt)) {
                return refused(EXPIRED);
            }
        } else if (requireExpiry) {
            return refused(NO_EXPIRY);
        }
        if (nbf != null && now.isBefore(nbf.minus(leeway))) {
            return refused(NOT_YET_VALID);
        }
        if (issuer != null && !issuer.equals(claims.get("iss"))) {
            return refused(WRONG_ISSUER);
        }
        if (audience != null && !hasAudience(claims.get("aud"))) {
            return refused(WRONG_AUDIENCE);
        }
        Object sub = claims.get("sub");
        if (sub == null) {
            return refused(MISSING_SUBJECT);
        }
        if (!(sub instanceof String subject) || subject.isEmpty()) {
            return refused(INVALID_SUBJECT);
        }
        List<String> subscribe = new ArrayList<>();
        String problem = topics(claims.get(SUBSCRIBE), SUBSCRIBE, subscribe);
        if (problem == null) {
            List<String> publish = new ArrayList<>();
            problem = topics(claims.get(PUBLISH), PUBLISH, publish);
            if (problem == null) {
                return new Authentication.Accepted(new Identity(subject, Grants.of(subscribe, publish), expiresAt));
            }
        }
        return refused(problem);
    }

    /** A NumericDate claim, or {@code null} if absent; throws if it is not a number of seconds in range. */
    private static Instant numericDate(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof Long || value instanceof Integer) {
            long seconds = ((Number) value).longValue();
            if (Math.abs((double) seconds) > MAX_NUMERIC_DATE) {
                throw new IllegalArgumentException("out of range");
            }
            return Instant.ofEpochSecond(seconds);
        }
        if (value instanceof Number n) {
            double seconds = n.doubleValue();
            if (!Double.isFinite(seconds) || Math.abs(seconds) > MAX_NUMERIC_DATE) {
                throw new IllegalArgumentException("out of range");
            }
            double whole = Math.floor(seconds);
            return Instant.ofEpochSecond((long) whole, (long) ((seconds - whole) * 1e9));
        }
        throw new IllegalArgumentException("not a number");
    }

    private boolean hasAudience(Object aud) {
        if (aud instanceof String single) {
            return single.equals(audience);
        }
        return aud instanceof List<?> list && list.contains(audience);
    }

    /** Reads a grants claim into {@code into}; returns what is wrong with it, or {@code null}. */
    private static String topics(Object claim, String name, List<String> into) {
        if (claim == null) {
            return null;
        }
        if (!(claim instanceof List<?> list)) {
            return "invalid " + name + " claim: must be an array of topic names and patterns";
        }
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof String filter) || !Topics.isValidFilter(filter)) {
                return "invalid " + name + " claim: entry " + i + " is not a topic name or pattern";
            }
            into.add(filter);
        }
        return null;
    }

    private static Authentication refused(String reason) {
        return new Authentication.Refused(reason);
    }

    @Override
    public String toString() {
        return "JwtAuthorizer{keys=" + keys + ", leeway=" + leeway + ", requireExpiry=" + requireExpiry
                + (issuer != null ? ", issuer=" + issuer : "") + (audience != null ? ", audience=" + audience : "")
                + ", anonymous=" + anonymous.grants() + "}";
    }

    /**
     * Configures a {@link JwtAuthorizer}. Keys may be added any number of times; every other setting at most once.
     * Each method checks its argument at once, reading and parsing key files then, so that a mistake is reported
     * where it is made.
     *
     * <p>Not thread-safe.
     */
    public static final class Builder {
        private final List<JwtKeys.Key> keys = new ArrayList<>();
        private Duration leeway;
        private Clock clock;
        private Boolean requireExpiry;
        private String issuer;
        private String audience;
        private List<String> anonymousSubscribe;
        private List<String> anonymousPublish;

        private Builder() {
        }

        /**
         * Adds an HMAC secret, for HS256 (and HS384 from 48 bytes, HS512 from 64).
         *
         * @param secret the secret's bytes, at least 32; copied
         * @return this builder
         * @throws IllegalArgumentException if shorter than 32 bytes
         */
        public Builder hmacSecret(byte[] secret) {
            Objects.requireNonNull(secret, "secret");
            keys.add(JwtKeys.hmac(secret, "#" + (keys.size() + 1)));
            return this;
        }

        /**
         * Adds an HMAC secret read from a file: the file's bytes, without trailing carriage returns and line feeds
         * (so that a file written by {@code echo} or an editor works; a binary secret must not end in those bytes).
         *
         * @param file the secret file
         * @return this builder
         * @throws IllegalArgumentException if the file cannot be read, or its secret is shorter than 32 bytes
         */
        public Builder hmacSecretFile(Path file) {
            Objects.requireNonNull(file, "file");
            byte[] secret = JwtKeys.readSecretFile(file);
            try {
                keys.add(JwtKeys.hmac(secret, "from " + file));
            } finally {
                Arrays.fill(secret, (byte) 0);
            }
            return this;
        }

        /**
         * Adds an RSA (at least 2048 bits) or EC (P-256, P-384 or P-521) public key, without a key id.
         *
         * @param key the public key
         * @return this builder
         * @throws IllegalArgumentException if of another type, too short or on another curve
         */
        public Builder publicKey(PublicKey key) {
            Objects.requireNonNull(key, "key");
            keys.add(JwtKeys.publicKey(key, null, null, "#" + (keys.size() + 1)));
            return this;
        }

        /**
         * Adds the public key of a PEM file, without a key id: an RSA or EC {@code -----BEGIN PUBLIC KEY-----}
         * (SubjectPublicKeyInfo, as {@code openssl pkey -pubout} writes) or a {@code -----BEGIN CERTIFICATE-----}
         * (only its key is used; its dates and issuer are not checked). The file must hold exactly one PEM block.
         *
         * @param file the PEM file
         * @return this builder
         * @throws IllegalArgumentException if the file cannot be read, holds no or several blocks, a private key,
         *                                  or a key that {@link #publicKey} refuses
         */
        public Builder publicKeyFile(Path file) {
            Objects.requireNonNull(file, "file");
            keys.add(JwtKeys.pemFile(file));
            return this;
        }

        /**
         * Adds the RSA and EC signature keys of a JSON Web Key Set file ({@code {"keys":[...]}}, as an identity
         * provider publishes it), each with its {@code kid} and, if it has one, restricted to its {@code alg}. The
         * file is read now and never again: to rotate keys, build a new authorizer. Keys for encryption and of other
         * types (such as OKP) are skipped with a logged warning.
         *
         * @param file the JWKS file
         * @return this builder
         * @throws IllegalArgumentException if the file cannot be read or parsed, holds a private or symmetric key, a
         *                                  key whose {@code alg} does not fit its type, or no usable key at all
         */
        public Builder jwksFile(Path file) {
            Objects.requireNonNull(file, "file");
            keys.addAll(JwtKeys.jwksFile(file));
            return this;
        }

        /**
         * How far clocks may disagree (default {@link #DEFAULT_LEEWAY}): a token is accepted until {@code exp} plus
         * this, and from {@code nbf} minus this.
         *
         * @param leeway zero or more
         * @return this builder
         * @throws IllegalArgumentException if negative
         * @throws IllegalStateException    if already set
         */
        public Builder leeway(Duration leeway) {
            requireUnset(this.leeway, "leeway");
            Objects.requireNonNull(leeway, "leeway");
            if (leeway.isNegative()) {
                throw new IllegalArgumentException("leeway must not be negative, was " + leeway);
            }
            this.leeway = leeway;
            return this;
        }

        /**
         * The clock that says what time it is (default {@link Clock#systemUTC()}).
         *
         * @param clock the clock
         * @return this builder
         * @throws IllegalStateException if already set
         */
        public Builder clock(Clock clock) {
            requireUnset(this.clock, "clock");
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Whether tokens must carry {@code exp} (default {@code false}: a token without one never expires).
         *
         * @param required {@code true} to refuse tokens without {@code exp}
         * @return this builder
         * @throws IllegalStateException if already set
         */
        public Builder requireExpiry(boolean required) {
            requireUnset(this.requireExpiry, "requireExpiry");
            this.requireExpiry = required;
            return this;
        }

        /**
         * Accepts only tokens whose {@code iss} is exactly this (default: {@code iss} is not checked).
         *
         * @param issuer the issuer, not blank
         * @return this builder
         * @throws IllegalArgumentException if blank
         * @throws IllegalStateException    if already set
         */
        public Builder issuer(String issuer) {
            requireUnset(this.issuer, "issuer");
            this.issuer = requireNotBlank(issuer, "issuer");
            return this;
        }

        /**
         * Accepts only tokens whose {@code aud} is, or is an array that contains, this (default: {@code aud} is not
         * checked).
         *
         * @param audience the audience, not blank
         * @return this builder
         * @throws IllegalArgumentException if blank
         * @throws IllegalStateException    if already set
         */
        public Builder audience(String audience) {
            requireUnset(this.audience, "audience");
            this.audience = requireNotBlank(audience, "audience");
            return this;
        }

        /**
         * What clients without a token may subscribe to and read (default: nothing).
         *
         * @param filters topic names and patterns
         * @return this builder
         * @throws IllegalArgumentException if an entry is not a valid topic name or pattern
         * @throws IllegalStateException    if already set
         */
        public Builder anonymousSubscribe(List<String> filters) {
            requireUnset(this.anonymousSubscribe, "anonymousSubscribe");
            this.anonymousSubscribe = Grants.of(Objects.requireNonNull(filters, "filters"), List.of())
                    .subscribePatterns();
            return this;
        }

        /**
         * What clients without a token may publish to (default: nothing).
         *
         * @param filters topic names and patterns
         * @return this builder
         * @throws IllegalArgumentException if an entry is not a valid topic name or pattern
         * @throws IllegalStateException    if already set
         */
        public Builder anonymousPublish(List<String> filters) {
            requireUnset(this.anonymousPublish, "anonymousPublish");
            this.anonymousPublish = Grants.of(List.of(), Objects.requireNonNull(filters, "filters"))
                    .publishPatterns();
            return this;
        }

        /**
         * Builds the authorizer.
         *
         * @return a new immutable authorizer
         * @throws IllegalStateException if no key was added
         */
        public JwtAuthorizer build() {
            if (keys.isEmpty()) {
                throw new IllegalStateException("no key to verify tokens with: add an HMAC secret, a public key or "
                        + "a JWKS file");
            }
            return new JwtAuthorizer(this);
        }

        private static String requireNotBlank(String value, String name) {
            Objects.requireNonNull(value, name);
            if (value.isBlank()) {
                throw new IllegalArgumentException(name + " must not be blank, was '" + value + "'");
            }
            return value;
        }

        private static void requireUnset(Object current, String name) {
            if (current != null) {
                throw new IllegalStateException(name + " was already set to " + current);
            }
        }
    }
}
