package dev.herald.netty.auth;

import com.nimbusds.jose.Algorithm;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyOperation;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns configured key material (HMAC secrets, PEM public keys and certificates, JSON Web Key Sets) into
 * verification keys, each bound to the algorithms of its own type. This binding is what makes algorithm confusion
 * impossible: an RSA or EC public key is never handed to an HMAC verifier, and a secret never to a signature one.
 *
 * <p>Everything here runs when the authorizer is built; error messages name the file and what is wrong with it,
 * never the key material.
 */
final class JwtKeys {
    private static final Logger LOG = LoggerFactory.getLogger(JwtKeys.class);

    /** The shortest HMAC secret: 256 bits, as RFC 7518 section 3.2 requires for HS256. */
    static final int MIN_HMAC_SECRET_BYTES = 32;
    /** The smallest RSA modulus accepted, in bits. */
    static final int MIN_RSA_BITS = 2048;

    private static final List<JWSAlgorithm> RSA_ALGORITHMS = List.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384,
            JWSAlgorithm.RS512, JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512);
    private static final Pattern PEM_BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]*?)-----END \\1-----");

    private JwtKeys() {
    }

    /**
     * One key and the algorithms it may verify.
     *
     * @param kid         the key id it answers to, or {@code null} for any
     * @param algorithms  the algorithms it may be used with, all of its own type
     * @param verifier    the thread-safe verifier
     * @param description what it is, for logs and {@code toString}; never key material
     */
    record Key(String kid, Set<JWSAlgorithm> algorithms, JWSVerifier verifier, String description) {
        Key {
            algorithms = Set.copyOf(algorithms);
        }

        /** Whether this key may verify a signature made with this algorithm. */
        boolean accepts(JWSAlgorithm algorithm) {
            return algorithms.contains(algorithm);
        }

        /**
         * Whether this key may verify a token with this key id: a key without an id answers to every token, a token
         * without an id is tried with every key, and otherwise the ids must be equal.
         */
        boolean answersTo(String tokenKid) {
            return kid == null || tokenKid == null || kid.equals(tokenKid);
        }

        @Override
        public String toString() {
            return description;
        }
    }

    /**
     * An HMAC key: HS256 for a secret of 32 bytes or more, HS384 too from 48, HS512 too from 64 (a key at least as
     * long as the hash, as RFC 7518 requires).
     */
    static Key hmac(byte[] secret, String source) {
        if (secret.length < MIN_HMAC_SECRET_BYTES) {
            throw new IllegalArgumentException("HMAC secret " + source + " is " + secret.length + " bytes long; at "
                    + "least " + MIN_HMAC_SECRET_BYTES + " (256 bits) are required for HS256");
        }
        Set<JWSAlgorithm> algorithms = new LinkedHashSet<>();
        algorithms.add(JWSAlgorithm.HS256);
        if (secret.length >= 48) {
            algorithms.add(JWSAlgorithm.HS384);
        }
        if (secret.length >= 64) {
            algorithms.add(JWSAlgorithm.HS512);
        }
        try {
            return new Key(null, algorithms, new MACVerifier(secret.clone()), "HMAC secret " + source + " "
                    + names(algorithms));
        } catch (JOSEException e) {
            throw new IllegalArgumentException("HMAC secret " + source + " is not usable: " + e.getMessage(), e);
        }
    }

    /** The bytes of a secret file, without trailing line breaks (so that {@code echo secret > file} works). */
    static byte[] readSecretFile(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read HMAC secret file " + file + ": " + describe(e), e);
        }
        int length = bytes.length;
        while (length > 0 && (bytes[length - 1] == '\n' || bytes[length - 1] == '\r')) {
            length--;
        }
        byte[] secret = Arrays.copyOf(bytes, length);
        Arrays.fill(bytes, (byte) 0);
        return secret;
    }

    /** An RSA or EC public key. */
    static Key publicKey(PublicKey key, String kid, Algorithm only, String source) {
        if (key instanceof RSAPublicKey rsa) {
            int bits = rsa.getModulus().bitLength();
            if (bits < MIN_RSA_BITS) {
                throw new IllegalArgumentException("RSA key " + source + " has " + bits + " bits; at least "
                        + MIN_RSA_BITS + " are required");
            }
            Set<JWSAlgorithm> algorithms = restrict(new LinkedHashSet<>(RSA_ALGORITHMS), only, "RSA", source);
            return new Key(kid, algorithms, new RSASSAVerifier(rsa),
                    "RSA " + bits + "-bit key " + source + kidText(kid) + " " + names(algorithms));
        }
        if (key instanceof ECPublicKey ec) {
            Curve curve = Curve.forECParameterSpec(ec.getParams());
            JWSAlgorithm algorithm;
            if (Curve.P_256.equals(curve)) {
                algorithm = JWSAlgorithm.ES256;
            } else if (Curve.P_384.equals(curve)) {
                algorithm = JWSAlgorithm.ES384;
            } else if (Curve.P_521.equals(curve)) {
                algorithm = JWSAlgorithm.ES512;
            } else {
                throw new IllegalArgumentException("EC key " + source + " is on curve "
                        + (curve == null ? "(unknown)" : curve.getName()) + "; supported are P-256, P-384, P-521");
            }
            Set<JWSAlgorithm> algorithms = restrict(new LinkedHashSet<>(List.of(algorithm)), only, "EC " + curve,
                    source);
            try {
                return new Key(kid, algorithms, new ECDSAVerifier(ec),
                        "EC " + curve + " key " + source + kidText(kid) + " " + names(algorithms));
            } catch (JOSEException e) {
                throw new IllegalArgumentException("EC key " + source + " is not usable: " + e.getMessage(), e);
            }
        }
        throw new IllegalArgumentException("key " + source + " is a " + key.getAlgorithm()
                + " key; supported are RSA and EC public keys");
    }

    /**
     * The one public key of a PEM file: a SubjectPublicKeyInfo ({@code BEGIN PUBLIC KEY}) or an X.509 certificate
     * ({@code BEGIN CERTIFICATE}, whose validity dates are not checked: it only carries the key).
     */
    static Key pemFile(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read public key file " + file + ": " + describe(e), e);
        }
        String source = "from " + file;
        Matcher m = PEM_BLOCK.matcher(text);
        List<String[]> blocks = new ArrayList<>();
        while (m.find()) {
            blocks.add(new String[] {m.group(1), m.group(2)});
        }
        if (blocks.isEmpty()) {
            if (text.contains("PRIVATE KEY")) {
                throw privateKeyIn(file);
            }
            throw new IllegalArgumentException("public key file " + file + " has no PEM block; expected "
                    + "-----BEGIN PUBLIC KEY----- or -----BEGIN CERTIFICATE-----");
        }
        if (blocks.size() > 1) {
            throw new IllegalArgumentException("public key file " + file + " has " + blocks.size() + " PEM blocks; "
                    + "give one public key or certificate per file");
        }
        String label = blocks.get(0)[0];
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(blocks.get(0)[1]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("public key file " + file + " has invalid Base64 in its PEM block", e);
        }
        PublicKey key = switch (label) {
            case "PUBLIC KEY" -> subjectPublicKeyInfo(der, file);
            case "CERTIFICATE" -> certificateKey(der, file);
            case "RSA PUBLIC KEY" -> throw new IllegalArgumentException("public key file " + file + " holds a PKCS#1 "
                    + "RSA PUBLIC KEY; convert it to a PUBLIC KEY: openssl rsa -RSAPublicKey_in -in " + file
                    + " -pubout");
            default -> {
                if (label.contains("PRIVATE KEY")) {
                    throw privateKeyIn(file);
                }
                throw new IllegalArgumentException("public key file " + file + " holds a " + label + "; expected "
                        + "a PUBLIC KEY or a CERTIFICATE");
            }
        };
        return publicKey(key, null, null, source);
    }

    private static IllegalArgumentException privateKeyIn(Path file) {
        return new IllegalArgumentException("public key file " + file + " holds a private key; give the public key "
                + "only (openssl pkey -in " + file + " -pubout)");
    }

    private static PublicKey subjectPublicKeyInfo(byte[] der, Path file) {
        X509EncodedKeySpec spec = new X509EncodedKeySpec(der);
        for (String algorithm : List.of("RSA", "EC")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePublic(spec);
            } catch (GeneralSecurityException e) {
                // Not this type; try the next.
            }
        }
        throw new IllegalArgumentException("public key file " + file + " holds neither an RSA nor an EC public key");
    }

    private static PublicKey certificateKey(byte[] der, Path file) {
        try {
            return CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der))
                    .getPublicKey();
        } catch (CertificateException e) {
            throw new IllegalArgumentException("public key file " + file + " holds an unreadable certificate: "
                    + e.getMessage(), e);
        }
    }

    /**
     * The signature-verification keys of a JSON Web Key Set file. Keys for encryption ({@code "use":"enc"}, or
     * {@code key_ops} without {@code verify}) and of types other than RSA and EC are skipped with a warning; private
     * and symmetric keys are refused, since a key set on a broker should hold public keys only.
     */
    static List<Key> jwksFile(Path file) {
        String json;
        try {
            json = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read JWKS file " + file + ": " + describe(e), e);
        }
        JWKSet set;
        try {
            set = JWKSet.parse(json);
        } catch (ParseException e) {
            throw new IllegalArgumentException("JWKS file " + file + " is not a JSON Web Key Set: " + e.getMessage(),
                    e);
        }
        List<Key> keys = new ArrayList<>();
        int index = 0;
        for (JWK jwk : set.getKeys()) {
            String where = "#" + index++ + kidText(jwk.getKeyID()) + " in JWKS file " + file;
            KeyType type = jwk.getKeyType();
            if (KeyType.OCT.equals(type)) {
                throw new IllegalArgumentException("key " + where + " is a symmetric (oct) key; give HMAC secrets as "
                        + "a secret, and public keys only in a JWKS");
            }
            if (jwk.isPrivate()) {
                throw new IllegalArgumentException("key " + where + " is a private key; a JWKS given to the broker "
                        + "must hold public keys only");
            }
            if (KeyUse.ENCRYPTION.equals(jwk.getKeyUse()) || jwk.getKeyOperations() != null
                    && !jwk.getKeyOperations().contains(KeyOperation.VERIFY)) {
                LOG.info("Skipping key {}: it is not for signature verification", where);
                continue;
            }
            try {
                PublicKey key;
                if (KeyType.RSA.equals(type)) {
                    key = ((RSAKey) jwk).toRSAPublicKey();
                } else if (KeyType.EC.equals(type)) {
                    key = ((ECKey) jwk).toECPublicKey();
                } else {
                    LOG.warn("Skipping key {}: key type {} is not supported (RSA and EC are)", where, type);
                    continue;
                }
                keys.add(publicKey(key, jwk.getKeyID(), jwk.getAlgorithm(), where));
            } catch (JOSEException e) {
                throw new IllegalArgumentException("key " + where + " is not usable: " + e.getMessage(), e);
            }
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("JWKS file " + file + " has no RSA or EC signature-verification key");
        }
        return keys;
    }

    /** The algorithms of a key type, narrowed to the one its JWK names, which must be of that type. */
    private static Set<JWSAlgorithm> restrict(Set<JWSAlgorithm> algorithms, Algorithm only, String type,
            String source) {
        if (only == null) {
            return algorithms;
        }
        JWSAlgorithm wanted = JWSAlgorithm.parse(only.getName());
        if (!algorithms.contains(wanted)) {
            throw new IllegalArgumentException("key " + source + " names algorithm " + only.getName()
                    + ", which does not fit a " + type + " key; it fits " + names(algorithms));
        }
        return Set.of(wanted);
    }

    /** What went wrong reading a file, in words rather than exception names. */
    private static String describe(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    private static String kidText(String kid) {
        return kid == null ? "" : " (kid " + kid + ")";
    }

    private static String names(Set<JWSAlgorithm> algorithms) {
        return algorithms.stream().map(Algorithm::getName).toList().toString();
    }
}
