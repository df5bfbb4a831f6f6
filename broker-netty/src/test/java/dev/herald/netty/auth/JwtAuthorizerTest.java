package dev.herald.netty.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSAEncrypter;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.EncryptedJWT;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.herald.netty.auth.Authorizer.Authentication;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JwtAuthorizerTest {
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final byte[] SECRET_32 = bytes(32, 1);
    private static final byte[] SECRET_48 = bytes(48, 2);
    private static final byte[] SECRET_64 = bytes(64, 3);
    private static final String ALICE = "{\"sub\":\"alice\",\"subscribe\":[\"chat.>\"],\"publish\":[\"chat.*\"]}";

    private static KeyPair rsa;
    private static KeyPair otherRsa;
    private static KeyPair p256;
    private static KeyPair p384;
    private static KeyPair p521;

    @TempDir
    Path dir;

    @BeforeAll
    static void generateKeys() throws GeneralSecurityException {
        KeyPairGenerator rsaGenerator = KeyPairGenerator.getInstance("RSA");
        rsaGenerator.initialize(2048);
        rsa = rsaGenerator.generateKeyPair();
        otherRsa = rsaGenerator.generateKeyPair();
        p256 = ec("secp256r1");
        p384 = ec("secp384r1");
        p521 = ec("secp521r1");
    }

    private static KeyPair ec(String curve) throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec(curve));
        return generator.generateKeyPair();
    }

    private static byte[] bytes(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed * 31 + i * 7);
        }
        return b;
    }

    // ---- helpers: signing, files, outcomes ----

    private static String sign(JWSSigner signer, JWSAlgorithm alg, String kid, String payload) {
        return sign(signer, new JWSHeader.Builder(alg).keyID(kid).build(), payload);
    }

    private static String sign(JWSSigner signer, JWSHeader header, String payload) {
        try {
            JWSObject jws = new JWSObject(header, new Payload(payload));
            jws.sign(signer);
            return jws.serialize();
        } catch (JOSEException e) {
            throw new AssertionError(e);
        }
    }

    private static String hs256(byte[] secret, String payload) {
        try {
            return sign(new MACSigner(secret), JWSAlgorithm.HS256, null, payload);
        } catch (JOSEException e) {
            throw new AssertionError(e);
        }
    }

    private static String rs256(KeyPair pair, String kid, String payload) {
        return sign(new RSASSASigner(pair.getPrivate()), JWSAlgorithm.RS256, kid, payload);
    }

    private static String es(KeyPair pair, JWSAlgorithm alg, String kid, String payload) {
        try {
            return sign(new ECDSASigner(pair.getPrivate(), Curve.forECParameterSpec(
                    ((ECPublicKey) pair.getPublic()).getParams())), alg, kid, payload);
        } catch (JOSEException e) {
            throw new AssertionError(e);
        }
    }

    /** An HMAC token computed by hand, for algorithms nimbus would not sign with a short secret. */
    private static String handMadeHmac(String alg, String javaAlg, byte[] secret, String payload) throws Exception {
        String input = b64("{\"alg\":\"" + alg + "\"}") + "." + b64(payload);
        Mac mac = Mac.getInstance(javaAlg);
        mac.init(new SecretKeySpec(secret, javaAlg));
        return input + "." + Base64URL.encode(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    }

    private static String b64(String json) {
        return Base64URL.encode(json.getBytes(StandardCharsets.UTF_8)).toString();
    }

    private Path pem(String name, String label, byte[] der) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, "-----BEGIN " + label + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + label + "-----\n", StandardCharsets.US_ASCII);
        return file;
    }

    private Path publicKeyPem(PublicKey key) throws IOException {
        return pem("key-" + System.nanoTime() + ".pem", "PUBLIC KEY", key.getEncoded());
    }

    private Path jwks(JWK... keys) throws IOException {
        Path file = dir.resolve("jwks-" + System.nanoTime() + ".json");
        Files.writeString(file, new JWKSet(List.of(keys)).toString(false));
        return file;
    }

    private static JwtAuthorizer.Builder builder() {
        return JwtAuthorizer.builder().clock(CLOCK);
    }

    private static Identity accepted(Authorizer authorizer, String token) {
        Authentication a = authorizer.authenticate(token);
        return assertInstanceOf(Authentication.Accepted.class, a, () -> "refused: " + a).identity();
    }

    private static void refused(Authorizer authorizer, String token, String reason) {
        Authentication a = authorizer.authenticate(token);
        assertEquals(new Authentication.Refused(reason), a, token);
    }

    private static String claims(String extra) {
        return "{\"sub\":\"alice\"" + (extra.isEmpty() ? "" : "," + extra) + "}";
    }

    /** A clock a test moves forward. */
    private static final class MovingClock extends Clock {
        private volatile Instant now;

        MovingClock(Instant start) {
            now = start;
        }

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void aTokenSeenBeforeIsCheckedForTimeAgainEachTime() throws Exception {
        Instant start = Instant.parse("2026-06-01T00:00:00Z");
        MovingClock clock = new MovingClock(start);
        JwtAuthorizer authorizer = JwtAuthorizer.builder().clock(clock).hmacSecret(SECRET_32).leeway(Duration.ZERO)
                .build();
        String token = hs256(SECRET_32, claims("\"exp\":" + start.plusSeconds(60).getEpochSecond()));
        accepted(authorizer, token);
        accepted(authorizer, token);
        clock.advance(Duration.ofSeconds(60));
        refused(authorizer, token, JwtAuthorizer.EXPIRED);
        // A token that differs in one character is a new token, whose signature is checked.
        refused(authorizer, token.substring(0, token.length() - 2) + (token.endsWith("A") ? "BB" : "AA"),
                JwtAuthorizer.SIGNATURE_INVALID);
        for (int i = 0; i < JwtAuthorizer.VERIFIED_CACHE_SIZE + 10; i++) {
            accepted(authorizer, hs256(SECRET_32, claims("\"n\":" + i)));
        }
        refused(authorizer, token, JwtAuthorizer.EXPIRED);
    }

    // ---- keys and algorithms ----

    @Test
    void hs256WithASecretAndTheIdentityCarriesTheClaims() {
        JwtAuthorizer authorizer = builder().hmacSecret(SECRET_32).build();
        Identity alice = accepted(authorizer, hs256(SECRET_32, ALICE));
        assertEquals("alice", alice.subject());
        assertEquals(List.of("chat.>"), alice.grants().subscribePatterns());
        assertEquals(List.of("chat.*"), alice.grants().publishPatterns());
        assertNull(alice.expiresAt(), "no exp, no expiry");
        assertTrue(authorizer.enabled());
    }

    @Test
    void theWorkedExampleOfTheJavadoc() {
        String payload = "{\"sub\":\"alice\",\"exp\":1767225600,\"subscribe\":[\"chat.>\",\"user:alice.inbox\"],"
                + "\"publish\":[\"chat.*\"]}";
        JwtAuthorizer authorizer = JwtAuthorizer.builder().hmacSecret(SECRET_32)
                .clock(Clock.fixed(Instant.parse("2025-12-31T12:00:00Z"), ZoneOffset.UTC)).build();
        Identity alice = accepted(authorizer, hs256(SECRET_32, payload));
        Grants g = alice.grants();
        assertTrue(g.maySubscribe("chat.general"));
        assertTrue(g.maySubscribe("chat.*"));
        assertTrue(g.maySubscribe("chat.>"));
        assertTrue(g.maySubscribe("user:alice.inbox"));
        assertTrue(g.mayRead("chat.general"));
        assertTrue(g.mayPublish("chat.general"));
        assertFalse(g.mayPublish("chat.general.archive"));
        assertFalse(g.maySubscribe("user:bob.inbox"));
        assertFalse(g.maySubscribe(">"));
        assertEquals(Instant.parse("2026-01-01T00:00:30Z"), alice.expiresAt());
    }

    @Test
    void longerSecretsAlsoVerifyHs384AndHs512() throws JOSEException {
        JwtAuthorizer authorizer = builder().hmacSecret(SECRET_64).build();
        for (JWSAlgorithm alg : List.of(JWSAlgorithm.HS256, JWSAlgorithm.HS384, JWSAlgorithm.HS512)) {
            assertEquals("alice", accepted(authorizer, sign(new MACSigner(SECRET_64), alg, null, ALICE)).subject(),
                    alg.getName());
        }
        JwtAuthorizer mid = builder().hmacSecret(SECRET_48).build();
        accepted(mid, sign(new MACSigner(SECRET_48), JWSAlgorithm.HS384, null, ALICE));
    }

    @Test
    void aSecretShorterThanTheHashIsNotUsedWithIt() throws Exception {
        // RFC 7518 3.2: the key must be at least as long as the hash. Nimbus would not sign these; a hand-made
        // token stands for another library that does.
        JwtAuthorizer authorizer = builder().hmacSecret(SECRET_32).build();
        refused(authorizer, handMadeHmac("HS384", "HmacSHA384", SECRET_32, ALICE),
                JwtAuthorizer.UNSUPPORTED_ALGORITHM);
        refused(authorizer, handMadeHmac("HS512", "HmacSHA512", SECRET_32, ALICE),
                JwtAuthorizer.UNSUPPORTED_ALGORITHM);
        accepted(authorizer, handMadeHmac("HS256", "HmacSHA256", SECRET_32, ALICE));
    }

    @Test
    void aSecretShorterThan32BytesIsRefusedAtTheCall() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JwtAuthorizer.builder().hmacSecret(new byte[31]));
        assertTrue(e.getMessage().contains("31 bytes") && e.getMessage().contains("32"), e.getMessage());
    }

    @Test
    void aSecretFileLosesItsTrailingNewline() throws IOException {
        String secret = "correct horse battery staple, and then some";
        Path file = dir.resolve("secret");
        Files.writeString(file, secret + "\r\n");
        JwtAuthorizer authorizer = builder().hmacSecretFile(file).build();
        accepted(authorizer, hs256(secret.getBytes(StandardCharsets.UTF_8), ALICE));
        assertFalse(authorizer.toString().contains("horse"), "toString shows no secret: " + authorizer);
    }

    @Test
    void aShortOrMissingSecretFileIsRefusedNamingTheFileButNotTheSecret() throws IOException {
        Path file = dir.resolve("short");
        Files.writeString(file, "hunter2\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JwtAuthorizer.builder().hmacSecretFile(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("7 bytes"), e.getMessage());
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
        Path missing = dir.resolve("missing");
        e = assertThrows(IllegalArgumentException.class, () -> JwtAuthorizer.builder().hmacSecretFile(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
    void rsaPublicKeyFromPemVerifiesEveryRsaAlgorithm(String alg) throws IOException {
        JwtAuthorizer authorizer = builder().publicKeyFile(publicKeyPem(rsa.getPublic())).build();
        String token = sign(new RSASSASigner(rsa.getPrivate()), JWSAlgorithm.parse(alg), null, ALICE);
        assertEquals("alice", accepted(authorizer, token).subject());
        refused(authorizer, sign(new RSASSASigner(otherRsa.getPrivate()), JWSAlgorithm.parse(alg), null, ALICE),
                JwtAuthorizer.SIGNATURE_INVALID);
    }

    @Test
    void ecPublicKeysFromPemVerifyTheAlgorithmOfTheirCurveOnly() throws IOException {
        record Case(KeyPair pair, JWSAlgorithm alg) {
        }
        List<Case> cases = List.of(new Case(p256, JWSAlgorithm.ES256), new Case(p384, JWSAlgorithm.ES384),
                new Case(p521, JWSAlgorithm.ES512));
        for (Case c : cases) {
            JwtAuthorizer authorizer = builder().publicKeyFile(publicKeyPem(c.pair().getPublic())).build();
            assertEquals("alice", accepted(authorizer, es(c.pair(), c.alg(), null, ALICE)).subject(),
                    c.alg().getName());
            for (Case other : cases) {
                if (other != c) {
                    refused(authorizer, es(other.pair(), other.alg(), null, ALICE),
                            JwtAuthorizer.UNSUPPORTED_ALGORITHM);
                }
            }
        }
    }

    @Test
    void anEcSignatureByAnotherKeyOnTheSameCurveIsInvalid() throws GeneralSecurityException, IOException {
        JwtAuthorizer authorizer = builder().publicKeyFile(publicKeyPem(p256.getPublic())).build();
        refused(authorizer, es(ec("secp256r1"), JWSAlgorithm.ES256, null, ALICE), JwtAuthorizer.SIGNATURE_INVALID);
    }

    @ParameterizedTest
    @ValueSource(strings = {"RSA", "EC"})
    void aPemCertificateGivesItsPublicKey(String type) throws Exception {
        Path keystore = dir.resolve("ks.p12");
        Path cert = dir.resolve("cert.pem");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        List<String> gen = new ArrayList<>(List.of(keytool, "-genkeypair", "-alias", "k", "-keyalg", type,
                "-dname", "CN=herald-test", "-validity", "2", "-storetype", "PKCS12", "-keystore",
                keystore.toString(), "-storepass", "changeit", "-keypass", "changeit"));
        gen.addAll(type.equals("RSA") ? List.of("-keysize", "2048") : List.of("-groupname", "secp256r1"));
        run(gen);
        run(List.of(keytool, "-exportcert", "-rfc", "-alias", "k", "-keystore", keystore.toString(), "-storepass",
                "changeit", "-file", cert.toString()));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(keystore)) {
            ks.load(in, "changeit".toCharArray());
        }
        PrivateKey key = (PrivateKey) ks.getKey("k", "changeit".toCharArray());
        KeyPair pair = new KeyPair(ks.getCertificate("k").getPublicKey(), key);
        JwtAuthorizer authorizer = builder().publicKeyFile(cert).build();
        String token = type.equals("RSA") ? rs256(pair, null, ALICE) : es(pair, JWSAlgorithm.ES256, null, ALICE);
        assertEquals("alice", accepted(authorizer, token).subject());
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "keytool finished");
        assertEquals(0, p.exitValue(), output);
    }

    @Test
    void aPublicKeyGivenInCodeWorksAsFromAFile() {
        JwtAuthorizer authorizer = builder().publicKey(rsa.getPublic()).publicKey(p384.getPublic()).build();
        accepted(authorizer, rs256(rsa, null, ALICE));
        accepted(authorizer, es(p384, JWSAlgorithm.ES384, null, ALICE));
    }

    @Test
    void severalKindsOfKeysTogether() throws IOException {
        JwtAuthorizer authorizer = builder().hmacSecret(SECRET_32).publicKeyFile(publicKeyPem(rsa.getPublic()))
                .jwksFile(jwks(new ECKey.Builder(Curve.P_256, (ECPublicKey) p256.getPublic()).keyID("ec").build()))
                .build();
        accepted(authorizer, hs256(SECRET_32, ALICE));
        accepted(authorizer, rs256(rsa, null, ALICE));
        accepted(authorizer, rs256(rsa, "some-kid", ALICE));
        accepted(authorizer, es(p256, JWSAlgorithm.ES256, "ec", ALICE));
        refused(authorizer, es(p256, JWSAlgorithm.ES256, "other", ALICE), JwtAuthorizer.UNKNOWN_KEY);
        refused(authorizer, es(p384, JWSAlgorithm.ES384, null, ALICE), JwtAuthorizer.UNSUPPORTED_ALGORITHM);
        String description = authorizer.toString();
        assertTrue(description.contains("HS256") && description.contains("RS256") && description.contains("ES256"),
                description);
    }

    // ---- JWKS ----

    @Test
    void theKidOfATokenSelectsItsKeyInAJwksWithTwo() throws IOException {
        Path file = jwks(new RSAKey.Builder((RSAPublicKey) rsa.getPublic()).keyID("one").build(),
                new RSAKey.Builder((RSAPublicKey) otherRsa.getPublic()).keyID("two").build());
        JwtAuthorizer authorizer = builder().jwksFile(file).build();
        accepted(authorizer, rs256(rsa, "one", ALICE));
        accepted(authorizer, rs256(otherRsa, "two", ALICE));
        refused(authorizer, rs256(otherRsa, "one", ALICE), JwtAuthorizer.SIGNATURE_INVALID);
        refused(authorizer, rs256(rsa, "two", ALICE), JwtAuthorizer.SIGNATURE_INVALID);
        refused(authorizer, rs256(rsa, "three", ALICE), JwtAuthorizer.UNKNOWN_KEY);
        // Without a kid, every key of the algorithm is tried.
        accepted(authorizer, rs256(rsa, null, ALICE));
        accepted(authorizer, rs256(otherRsa, null, ALICE));
    }

    @Test
    void aJwksKeyWithAnAlgIsUsedWithThatAlgorithmOnly() throws IOException {
        Path file = jwks(new RSAKey.Builder((RSAPublicKey) rsa.getPublic()).keyID("one")
                .algorithm(JWSAlgorithm.PS256).build());
        JwtAuthorizer authorizer = builder().jwksFile(file).build();
        accepted(authorizer, sign(new RSASSASigner(rsa.getPrivate()), JWSAlgorithm.PS256, "one", ALICE));
        refused(authorizer, rs256(rsa, "one", ALICE), JwtAuthorizer.UNSUPPORTED_ALGORITHM);
    }

    @Test
    void aJwksKeyWhoseAlgDoesNotFitItsTypeIsRefused() throws IOException {
        Path file = jwks(new RSAKey.Builder((RSAPublicKey) rsa.getPublic()).keyID("one")
                .algorithm(JWSAlgorithm.HS256).build());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JwtAuthorizer.builder().jwksFile(file));
        assertTrue(e.getMessage().contains("HS256") && e.getMessage().contains("one"), e.getMessage());
    }

    @Test
    void aJwksWithPrivateOrSymmetricKeysIsRefused() throws IOException {
        // jwks() writes the keys as given, private parts included.
        Path withPrivate = jwks(new RSAKey.Builder((RSAPublicKey) rsa.getPublic()).privateKey(rsa.getPrivate())
                .keyID("p").build());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JwtAuthorizer.builder().jwksFile(withPrivate));
        assertTrue(e.getMessage().contains("private"), e.getMessage());
        Path symmetric = dir.resolve("oct.json");
        Files.writeString(symmetric, new JWKSet(new OctetSequenceKey.Builder(SECRET_32).keyID("s").build())
                .toString(false));
        e = assertThrows(IllegalArgumentException.class, () -> JwtAuthorizer.builder().jwksFile(symmetric));
        assertTrue(e.getMessage().contains("symmetric"), e.getMessage());
        assertFalse(e.getMessage().contains(Base64URL.encode(SECRET_32).toString()), e.getMessage());
    }

    @Test
    void encryptionAndUnsupportedKeysInAJwksAreSkipped() throws IOException {
        Path file = dir.resolve("mixed.json");
        String okp = "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"ed\","
                + "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}";
        String enc = new RSAKey.Builder((RSAPublicKey) otherRsa.getPublic()).keyID("enc").keyUse(KeyUse.ENCRYPTION)
                .build().toJSONString();
        String sig = new RSAKey.Builder((RSAPublicKey) rsa.getPublic()).keyID("sig").build().toJSONString();
        Files.writeString(file, "{\"keys\":[" + okp + "," + enc + "," + sig + "]}");
        JwtAuthorizer authorizer = builder().jwksFile(file).build();
        accepted(authorizer, rs256(rsa, "sig", ALICE));
        refused(authorizer, rs256(otherRsa, "enc", ALICE), JwtAuthorizer.UNKNOWN_KEY);
        Path onlyEnc = dir.resolve("enc.json");
        Files.writeString(onlyEnc, "{\"keys\":[" + okp + "," + enc + "]}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JwtAuthorizer.builder().jwksFile(onlyEnc));
        assertTrue(e.getMessage().contains("no RSA or EC"), e.getMessage());
    }

    @Test
    void aFileThatIsNotAJwksIsRefusedNamingIt() throws IOException {
        Path file = dir.resolve("nope.json");
        Files.writeString(file, "{\"keys\": 3}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JwtAuthorizer.builder().jwksFile(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    // ---- PEM mistakes ----

    @Test
    void pemMistakesAreRefusedWithAHint() throws IOException {
        Path privateKey = pem("private.pem", "PRIVATE KEY", rsa.getPrivate().getEncoded());
        assertRefusedFile(privateKey, "private key");
        Path pkcs1 = pem("pkcs1.pem", "RSA PUBLIC KEY", new byte[] {1, 2, 3});
        assertRefusedFile(pkcs1, "openssl rsa -RSAPublicKey_in");
        Path two = dir.resolve("two.pem");
        Files.writeString(two, Files.readString(publicKeyPem(rsa.getPublic()))
                + Files.readString(publicKeyPem(p256.getPublic())));
        assertRefusedFile(two, "2 PEM blocks");
        Path empty = dir.resolve("empty.pem");
        Files.writeString(empty, "nothing here\n");
        assertRefusedFile(empty, "no PEM block");
        Path junk = pem("junk.pem", "PUBLIC KEY", new byte[] {48, 3, 1, 2, 3});
        assertRefusedFile(junk, "neither an RSA nor an EC");
        assertRefusedFile(dir.resolve("absent.pem"), "cannot read");
    }

    private static void assertRefusedFile(Path file, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JwtAuthorizer.builder().publicKeyFile(file));
        assertTrue(e.getMessage().contains(expected) && e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void anRsaKeyShorterThan2048BitsIsRefused() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(1024);
        PublicKey weak = generator.generateKeyPair().getPublic();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JwtAuthorizer.builder().publicKey(weak));
        assertTrue(e.getMessage().contains("1024 bits"), e.getMessage());
    }

    // ---- attacks ----

    @Test
    void algorithmConfusionHs256WithThePublicKeyAsSecretIsRefused() throws IOException {
        Path pemFile = publicKeyPem(rsa.getPublic());
        byte[] pemBytes = Files.readAllBytes(pemFile);
        byte[] der = rsa.getPublic().getEncoded();
        JwtAuthorizer rsaOnly = builder().publicKeyFile(pemFile).build();
        refused(rsaOnly, hs256(pemBytes, ALICE), JwtAuthorizer.UNSUPPORTED_ALGORITHM);
        refused(rsaOnly, hs256(der, ALICE), JwtAuthorizer.UNSUPPORTED_ALGORITHM);
        // With an HMAC secret configured too, HS256 is checked with that secret only.
        JwtAuthorizer both = builder().publicKeyFile(pemFile).hmacSecret(SECRET_32).build();
        refused(both, hs256(pemBytes, ALICE), JwtAuthorizer.SIGNATURE_INVALID);
        refused(both, hs256(der, ALICE), JwtAuthorizer.SIGNATURE_INVALID);
        // And an RSA signature never meets the secret.
        JwtAuthorizer hmacOnly = builder().hmacSecret(SECRET_32).build();
        refused(hmacOnly, rs256(rsa, null, ALICE), JwtAuthorizer.UNSUPPORTED_ALGORITHM);
    }

    @Test
    void algNoneIsRefused() {
        JwtAuthorizer authorizer = builder().hmacSecret(SECRET_32).build();
        String payload = b64(ALICE);
        refused(authorizer, "eyJhbGciOiJub25lIn0." + payload + ".", JwtAuthorizer.UNSIGNED);
        // With a signature part, or spelled otherwise, it is refused all the same.
        String signed = hs256(SECRET_32, ALICE);
        String signature = signed.substring(signed.lastIndexOf('.') + 1);
        assertInstanceOf(Authentication.Refused.class,
                authorizer.authenticate("eyJhbGciOiJub25lIn0." + payload + "." + signature));
        refused(authorizer, b64("{\"alg\":\"NONE\"}") + "." + payload + "." + signature,
                JwtAuthorizer.UNSUPPORTED_ALGORITHM);
        refused(authorizer, b64("{\"alg\":\"None\"}") + "." + payload + "." + signature,
                JwtAuthorizer.UNSUPPORTED_ALGORITHM);
        refused(authorizer, b64("{\"alg\":\"None\"}") + "." + payload + ".", JwtAuthorizer.MALFORMED);
    }

    @Test
    void aTamperedPayloadOrSignatureIsRefused() {
        JwtAuthorizer authorizer = builder().hmacSecret(SECRET_32).publicKey(rsa.getPublic()).build();
        for (String token : List.of(hs256(SECRET_32, ALICE), rs256(rsa, null, ALICE))) {
            String[] parts = token.split("\\.");
            String greedy = b64("{\"sub\":\"alice\",\"subscribe\":[\">\"],\"publish\":[\">\"]}");
            refused(authorizer, parts[0] + "." + greedy + "." + parts[2], JwtAuthorizer.SIGNATURE_INVALID);
            char[] signature = parts[2].toCharArray();
            int middle = signature.length / 2;
            signature[middle] = signature[middle] == 'A' ? 'B' : 'A';
            refused(authorizer, parts[0] + "." + parts[1] + "." + new String(signature),
                    JwtAuthorizer.SIGNATURE_INVALID);
            refused(authorizer, parts[0] + "." + parts[1] + ".", JwtAuthorizer.MALFORMED);
        }
    }

    @Test
    void aKeyEmbeddedInTheHeaderIsIgnored() {
        JwtAuthorizer authorizer = builder().publicKey(rsa.getPublic()).build();
        JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.RS256)
                .jwk(new RSAKey.Builder((RSAPublicKey) otherRsa.getPublic()).build()).build();
        refused(authorizer, sign(new RSASSASigner(otherRsa.getPrivate()), header, ALICE),
                JwtAuthorizer.SIGNATURE_INVALID);
    }

    @Test
    void criticalHeadersAreRefused() {
        JwtAuthorizer authorizer = builder().hmacSecret(SECRET_32).build();
        JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.HS256).criticalParams(Set.of("exp"))
                .customParam("exp", 1).build();
        try {
            refused(authorizer, sign(new MACSigner(SECRET_32), header, ALICE), JwtAuthorizer.UNSUPPORTED_HEADER);
        } catch (JOSEException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void encryptedTokensAreRefused() throws JOSEException {
        JwtAuthorizer authorizer = builder().publicKey(rsa.getPublic()).build();
        EncryptedJWT jwe = new EncryptedJWT(new JWEHeader(JWEAlgorithm.RSA_OAEP_256, EncryptionMethod.A128GCM),
                new JWTClaimsSet.Builder().subject("alice").build());
        jwe.encrypt(new RSAEncrypter((RSAPublicKey) rsa.getPublic()));
        refused(authorizer, jwe.serialize(), JwtAuthorizer.ENCRYPTED);
    }

    @Test
    void garbageIsRefusedAsMalformedAndNeverThrows() {
        JwtAuthorizer authorizer = builder().hmacSecret(SECRET_32).build();
        StringBuilder deep = new StringBuilder("{\"alg\":\"HS256\",\"x\":");
        deep.append("[".repeat(50_000)).append("]".repeat(50_000)).append('}');
        List<String> garbage = List.of("", " ", "abc", "a.b", "a.b.c", "....", ".", "..", "a.b.c.d",
                "eyJ.eyJ.sig", "Bearer x.y.z", "\u0000\u0001.\u00ff.\n", "eyJhbGciOiJIUzI1NiJ9",
                "eyJhbGciOiJIUzI1NiJ9..", b64("[1,2]") + ".e30.", b64("\"HS256\"") + ".e30.abc",
                b64("{\"alg\":42}") + ".e30.abc", b64("{}") + ".e30.abc", b64(deep.toString()) + ".e30.abc",
                "\uD800.\uDFFF.x");
        for (String token : garbage) {
            refused(authorizer, token, JwtAuthorizer.MALFORMED);
        }
    }

    @Test
    void aSignedPayloadThatIsNotAJsonObjectIsMalformed() {
        JwtAuthorizer authorizer = builder().hmacSecret(SECRET_32).build();
        refused(authorizer, hs256(SECRET_32, "[1,2]"), JwtAuthorizer.MALFORMED);
        refused(authorizer, hs256(SECRET_32, "not json"), JwtAuthorizer.MALFORMED);
    }

    @Test
    void anUnknownAlgorithmIsUnsupported() {
        JwtAuthorizer authorizer = builder().hmacSecret(SECRET_32).build();
        refused(authorizer, b64("{\"alg\":\"HS1024\"}") + "." + b64(ALICE) + ".c2ln",
                JwtAuthorizer.UNSUPPORTED_ALGORITHM);
    }

    // ---- time ----

    @Test
    void expiryHonoursTheLeeway() {
        long now = NOW.getEpochSecond();
        JwtAuthorizer lenient = builder().hmacSecret(SECRET_32).build();
        JwtAuthorizer strict = JwtAuthorizer.builder().clock(CLOCK).hmacSecret(SECRET_32).leeway(Duration.ZERO)
                .build();
        String justExpired = hs256(SECRET_32, claims("\"exp\":" + (now - 10)));
        assertEquals(NOW.plusSeconds(20), accepted(lenient, justExpired).expiresAt(), "exp + 30 s of leeway");
        refused(strict, justExpired, JwtAuthorizer.EXPIRED);
        refused(lenient, hs256(SECRET_32, claims("\"exp\":" + (now - 30))), JwtAuthorizer.EXPIRED);
        accepted(lenient, hs256(SECRET_32, claims("\"exp\":" + (now - 29))));
        refused(strict, hs256(SECRET_32, claims("\"exp\":" + now)), JwtAuthorizer.EXPIRED);
        assertEquals(NOW.plusSeconds(1), accepted(strict, hs256(SECRET_32, claims("\"exp\":" + (now + 1))))
                .expiresAt());
    }

    @Test
    void notBeforeHonoursTheLeeway() {
        long now = NOW.getEpochSecond();
        JwtAuthorizer lenient = builder().hmacSecret(SECRET_32).build();
        JwtAuthorizer strict = JwtAuthorizer.builder().clock(CLOCK).hmacSecret(SECRET_32).leeway(Duration.ZERO)
                .build();
        String soon = hs256(SECRET_32, claims("\"nbf\":" + (now + 10)));
        accepted(lenient, soon);
        refused(strict, soon, JwtAuthorizer.NOT_YET_VALID);
        refused(lenient, hs256(SECRET_32, claims("\"nbf\":" + (now + 31))), JwtAuthorizer.NOT_YET_VALID);
        accepted(lenient, hs256(SECRET_32, claims("\"nbf\":" + (now + 30))));
        accepted(strict, hs256(SECRET_32, claims("\"nbf\":" + now)));
    }

    @Test
    void aLongerLeewayAndFractionalDates() {
        long now = NOW.getEpochSecond();
        JwtAuthorizer authorizer = builder().hmacSecret(SECRET_32).leeway(Duration.ofMinutes(5)).build();
        accepted(authorizer, hs256(SECRET_32, claims("\"exp\":" + (now - 299))));
        Identity fractional = accepted(authorizer, hs256(SECRET_32, claims("\"exp\":" + now + ".5")));
        assertEquals(NOW.plusMillis(500).plus(Duration.ofMinutes(5)), fractional.expiresAt());
    }

    @Test
    void requireExpiryRefusesTokensWithoutExp() {
        JwtAuthorizer authorizer = builder().hmacSecret(SECRET_32).requireExpiry(true).build();
        refused(authorizer, hs256(SECRET_32, ALICE), JwtAuthorizer.NO_EXPIRY);
        accepted(authorizer, hs256(SECRET_32, claims("\"exp\":" + (NOW.getEpochSecond() + 60))));
    }

    @Test
    void datesThatAreNotNumbersOrOutOfRangeAreRefused() {
        JwtAuthorizer authorizer = builder().hmacSecret(SECRET_32).build();
        refused(authorizer, hs256(SECRET_32, claims("\"exp\":\"tomorrow\"")), JwtAuthorizer.INVALID_EXP);
        refused(authorizer, hs256(SECRET_32, claims("\"exp\":1e300")), JwtAuthorizer.INVALID_EXP);
        refused(authorizer, hs256(SECRET_32, claims("\"exp\":9223372036854775807")), JwtAuthorizer.INVALID_EXP);
        refused(authorizer, hs256(SECRET_32, claims("\"exp\":[1]")), JwtAuthorizer.INVALID_EXP);
        refused(authorizer, hs256(SECRET_32, claims("\"nbf\":true")), JwtAuthorizer.INVALID_NBF);
        refused(authorizer, hs256(SECRET_32, claims("\"nbf\":-1e300")), JwtAuthorizer.INVALID_NBF);
    }

    // ---- claims ----

    @Test
    void theSubjectIsARequiredNonEmptyString() {
        JwtAuthorizer authorizer = builder().hmacSecret(SECRET_32).build();
        refused(authorizer, hs256(SECRET_32, "{\"subscribe\":[\"a\"]}"), JwtAuthorizer.MISSING_SUBJECT);
        refused(authorizer, hs256(SECRET_32, "{\"sub\":null}"), JwtAuthorizer.MISSING_SUBJECT);
        refused(authorizer, hs256(SECRET_32, "{\"sub\":\"\"}"), JwtAuthorizer.INVALID_SUBJECT);
        refused(authorizer, hs256(SECRET_32, "{\"sub\":42}"), JwtAuthorizer.INVALID_SUBJECT);
        refused(authorizer, hs256(SECRET_32, "{\"sub\":[\"alice\"]}"), JwtAuthorizer.INVALID_SUBJECT);
    }

    @Test
    void missingOrNullGrantsAreNone() {
        JwtAuthorizer authorizer = builder().hmacSecret(SECRET_32).build();
        assertTrue(accepted(authorizer, hs256(SECRET_32, claims(""))).grants().isNone());
        assertTrue(accepted(authorizer, hs256(SECRET_32, claims("\"subscribe\":null,\"publish\":[]"))).grants()
                .isNone());
        Identity onlyPublish = accepted(authorizer, hs256(SECRET_32, claims("\"publish\":[\"metrics.>\"]")));
        assertFalse(onlyPublish.grants().maySubscribe("metrics.cpu"));
        assertTrue(onlyPublish.grants().mayPublish("metrics.cpu"));
    }

    @Test
    void invalidGrantsRefuseTheWholeTokenSayingWhich() {
        JwtAuthorizer authorizer = builder().hmacSecret(SECRET_32).build();
        refused(authorizer, hs256(SECRET_32, claims("\"subscribe\":\"chat.>\"")),
                "invalid subscribe claim: must be an array of topic names and patterns");
        refused(authorizer, hs256(SECRET_32, claims("\"subscribe\":{\"chat\":1}")),
                "invalid subscribe claim: must be an array of topic names and patterns");
        refused(authorizer, hs256(SECRET_32, claims("\"subscribe\":[\"chat.>\",\"bad..topic\"]")),
                "invalid subscribe claim: entry 1 is not a topic name or pattern");
        refused(authorizer, hs256(SECRET_32, claims("\"subscribe\":[\"a.>.b\"]")),
                "invalid subscribe claim: entry 0 is not a topic name or pattern");
        refused(authorizer, hs256(SECRET_32, claims("\"publish\":[1]")),
                "invalid publish claim: entry 0 is not a topic name or pattern");
        refused(authorizer, hs256(SECRET_32, claims("\"publish\":[null]")),
                "invalid publish claim: entry 0 is not a topic name or pattern");
        refused(authorizer, hs256(SECRET_32, claims("\"publish\":[\"ok\",\"sp ace\"]")),
                "invalid publish claim: entry 1 is not a topic name or pattern");
    }

    @Test
    void issuerAndAudienceAreCheckedOnlyWhenConfigured() {
        JwtAuthorizer open = builder().hmacSecret(SECRET_32).build();
        JwtAuthorizer checked = builder().hmacSecret(SECRET_32).issuer("https://idp.example").audience("herald")
                .build();
        String right = hs256(SECRET_32, claims("\"iss\":\"https://idp.example\",\"aud\":[\"other\",\"herald\"]"));
        accepted(open, right);
        accepted(checked, right);
        accepted(checked, hs256(SECRET_32, claims("\"iss\":\"https://idp.example\",\"aud\":\"herald\"")));
        refused(checked, hs256(SECRET_32, claims("\"iss\":\"https://evil.example\",\"aud\":\"herald\"")),
                JwtAuthorizer.WRONG_ISSUER);
        refused(checked, hs256(SECRET_32, claims("\"aud\":\"herald\"")), JwtAuthorizer.WRONG_ISSUER);
        refused(checked, hs256(SECRET_32, claims("\"iss\":\"https://idp.example\",\"aud\":\"other\"")),
                JwtAuthorizer.WRONG_AUDIENCE);
        refused(checked, hs256(SECRET_32, claims("\"iss\":\"https://idp.example\"")), JwtAuthorizer.WRONG_AUDIENCE);
        accepted(open, hs256(SECRET_32, claims("\"aud\":42")));
    }

    @Test
    void otherClaimsAreIgnored() {
        JwtAuthorizer authorizer = builder().hmacSecret(SECRET_32).build();
        accepted(authorizer, hs256(SECRET_32, claims("\"iat\":\"whenever\",\"jti\":7,\"name\":{\"x\":[1]}")));
    }

    // ---- anonymous clients and the builder ----

    @Test
    void anonymousClientsGetTheConfiguredGrantsDefaultNone() {
        Identity nobody = builder().hmacSecret(SECRET_32).build().anonymous();
        assertEquals("", nobody.subject());
        assertTrue(nobody.grants().isNone());
        assertNull(nobody.expiresAt());
        Identity guest = builder().hmacSecret(SECRET_32).anonymousSubscribe(List.of("public.>"))
                .anonymousPublish(List.of("feedback")).build().anonymous();
        assertTrue(guest.grants().maySubscribe("public.news"));
        assertFalse(guest.grants().maySubscribe("private.news"));
        assertTrue(guest.grants().mayPublish("feedback"));
        assertFalse(guest.grants().mayPublish("public.news"));
    }

    @Test
    void theBuilderRefusesMistakesAtTheCall() {
        assertThrows(IllegalStateException.class, () -> JwtAuthorizer.builder().build());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JwtAuthorizer.builder().leeway(Duration.ofSeconds(-1)));
        assertTrue(e.getMessage().contains("PT-1S"), e.getMessage());
        assertThrows(IllegalStateException.class,
                () -> JwtAuthorizer.builder().leeway(Duration.ZERO).leeway(Duration.ZERO));
        assertThrows(IllegalStateException.class, () -> JwtAuthorizer.builder().clock(CLOCK).clock(CLOCK));
        assertThrows(IllegalStateException.class,
                () -> JwtAuthorizer.builder().requireExpiry(true).requireExpiry(false));
        assertThrows(IllegalStateException.class, () -> JwtAuthorizer.builder().issuer("a").issuer("b"));
        assertThrows(IllegalArgumentException.class, () -> JwtAuthorizer.builder().audience(" "));
        e = assertThrows(IllegalArgumentException.class,
                () -> JwtAuthorizer.builder().anonymousSubscribe(List.of("ok", "not ok")));
        assertTrue(e.getMessage().contains("not ok"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> JwtAuthorizer.builder().anonymousPublish(List.of("")));
        assertThrows(IllegalStateException.class,
                () -> JwtAuthorizer.builder().anonymousPublish(List.of()).anonymousPublish(List.of()));
        assertThrows(NullPointerException.class, () -> JwtAuthorizer.builder().hmacSecret(null));
    }

    @Test
    void theSecretIsCopied() {
        byte[] secret = SECRET_32.clone();
        JwtAuthorizer authorizer = builder().hmacSecret(secret).build();
        secret[0]++;
        accepted(authorizer, hs256(SECRET_32, ALICE));
    }

    @Test
    void refusalsAreTheDocumentedShortTexts() {
        Set<String> documented = Set.of(JwtAuthorizer.MALFORMED, JwtAuthorizer.UNSIGNED, JwtAuthorizer.ENCRYPTED,
                JwtAuthorizer.UNSUPPORTED_ALGORITHM, JwtAuthorizer.UNSUPPORTED_HEADER, JwtAuthorizer.UNKNOWN_KEY,
                JwtAuthorizer.SIGNATURE_INVALID, JwtAuthorizer.EXPIRED, JwtAuthorizer.NOT_YET_VALID,
                JwtAuthorizer.NO_EXPIRY, JwtAuthorizer.WRONG_ISSUER, JwtAuthorizer.WRONG_AUDIENCE,
                JwtAuthorizer.INVALID_EXP, JwtAuthorizer.INVALID_NBF, JwtAuthorizer.MISSING_SUBJECT,
                JwtAuthorizer.INVALID_SUBJECT);
        assertEquals(16, documented.size(), "all different");
        for (String reason : documented) {
            assertTrue(reason.length() <= 48 && reason.equals(reason.toLowerCase(java.util.Locale.ROOT)), reason);
        }
    }
}
