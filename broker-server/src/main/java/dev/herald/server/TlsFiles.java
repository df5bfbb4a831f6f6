package dev.herald.server;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's TLS context from {@code --tls-cert-file} and {@code --tls-key-file}: PEM files, checked before the
 * server starts so that a wrong file is one clear message, never a stack trace or a server whose every handshake
 * fails. Uses OpenSSL when netty-tcnative is on the class path, the JDK's TLS otherwise. Stateless.
 */
final class TlsFiles {
    static final String CERT_OPTION = "--tls-cert-file";
    static final String KEY_OPTION = "--tls-key-file";

    private static final Logger LOG = LoggerFactory.getLogger(TlsFiles.class);
    /** Far more than any certificate chain or key; a bigger file is the wrong one. */
    private static final long MAX_FILE_BYTES = 1 << 20;
    private static final String PKCS8_BEGIN = "-----BEGIN PRIVATE KEY-----";
    private static final String PKCS8_END = "-----END PRIVATE KEY-----";

    /** A file that cannot serve, with a message for the operator that names the options to blame. */
    static final class InvalidFiles extends Exception {
        private static final long serialVersionUID = 1L;

        InvalidFiles(String message) {
            super(message, null, false, false);
        }
    }

    private TlsFiles() {
    }

    /**
     * The TLS implementation the server uses: OpenSSL when netty-tcnative is on the class path, else the JDK's.
     *
     * @return the provider
     */
    static SslProvider provider() {
        return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    /**
     * Names a provider for the start line.
     *
     * @param provider the provider
     * @return {@code OpenSSL} or {@code the JDK}
     */
    static String describe(SslProvider provider) {
        return provider == SslProvider.JDK ? "the JDK" : "OpenSSL";
    }

    /**
     * Reads the certificate chain and its private key and makes the server's TLS context.
     *
     * @param certFile the PEM certificate chain, the server's own certificate first
     * @param keyFile  the PEM private key of that certificate, PKCS#8, not encrypted
     * @param provider the TLS implementation
     * @return the context
     * @throws InvalidFiles naming the option whose file is missing, unreadable, malformed, or does not match the other
     */
    static SslContext load(Path certFile, Path keyFile, SslProvider provider) throws InvalidFiles {
        byte[] certBytes = read(certFile, CERT_OPTION);
        byte[] keyBytes = read(keyFile, KEY_OPTION);
        List<X509Certificate> chain = certificates(certBytes, certFile);
        SslContext context;
        try {
            context = SslContextBuilder.forServer(certFile.toFile(), keyFile.toFile()).sslProvider(provider).build();
        } catch (IllegalArgumentException e) {
            // The certificates read above, so it is the key Netty could not read.
            throw new InvalidFiles(invalid(KEY_OPTION, keyFile, unreadableKey(keyBytes, keyFile)));
        } catch (SSLException e) {
            throw new InvalidFiles("Invalid values for options '" + CERT_OPTION + "' and '" + KEY_OPTION
                    + "': cannot set up TLS with '" + certFile + "' and '" + keyFile + "': " + e.getMessage());
        }
        if (!matches(chain.get(0), keyBytes)) {
            throw new InvalidFiles("Invalid values for options '" + CERT_OPTION + "' and '" + KEY_OPTION
                    + "': the private key in '" + keyFile + "' does not belong to the certificate in '" + certFile
                    + "'");
        }
        warnIfNotValidNow(chain.get(0), certFile);
        return context;
    }

    private static byte[] read(Path file, String option) throws InvalidFiles {
        String problem;
        if (!Files.exists(file)) {
            problem = "does not exist";
        } else if (!Files.isRegularFile(file)) {
            problem = "is not a regular file";
        } else if (!Files.isReadable(file)) {
            problem = "is not readable by this user";
        } else {
            try {
                if (Files.size(file) > MAX_FILE_BYTES) {
                    problem = "is larger than 1 MiB, too large for a PEM certificate or key";
                } else {
                    return Files.readAllBytes(file);
                }
            } catch (IOException e) {
                problem = "cannot be read (" + e.getMessage() + ")";
            }
        }
        throw new InvalidFiles(invalid(option, file, problem));
    }

    private static List<X509Certificate> certificates(byte[] pem, Path file) throws InvalidFiles {
        String text = new String(pem, StandardCharsets.ISO_8859_1);
        if (!text.contains("-----BEGIN CERTIFICATE-----")) {
            throw new InvalidFiles(invalid(CERT_OPTION, file, text.contains("PRIVATE KEY-----")
                    ? "holds a private key, not a certificate (the key goes to " + KEY_OPTION + ")"
                    : "holds no PEM certificate (-----BEGIN CERTIFICATE-----)"));
        }
        Collection<? extends Certificate> read;
        try {
            read = CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem));
        } catch (CertificateException e) {
            throw new InvalidFiles(invalid(CERT_OPTION, file, "holds a certificate that cannot be read"));
        }
        List<X509Certificate> chain = new ArrayList<>();
        for (Certificate certificate : read) {
            chain.add((X509Certificate) certificate);
        }
        if (chain.isEmpty()) {
            throw new InvalidFiles(invalid(CERT_OPTION, file,
                    "holds no PEM certificate (-----BEGIN CERTIFICATE-----)"));
        }
        return chain;
    }

    /** Why Netty could not read the key, with the command that fixes the usual cases. */
    private static String unreadableKey(byte[] pem, Path file) {
        String text = new String(pem, StandardCharsets.ISO_8859_1);
        if (text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
            return "is encrypted; give the key without a passphrase (openssl pkcs8 -in " + file
                    + " -out key-plain.pem)";
        }
        if (text.contains("-----BEGIN RSA PRIVATE KEY-----") || text.contains("-----BEGIN EC PRIVATE KEY-----")) {
            return "is not in the PKCS#8 form (-----BEGIN PRIVATE KEY-----); convert it with openssl pkcs8 -topk8 "
                    + "-nocrypt -in " + file + " -out key-pkcs8.pem";
        }
        if (text.contains(PKCS8_BEGIN)) {
            return "holds a private key that cannot be read (an RSA, EC or DSA key in PKCS#8 is expected)";
        }
        if (text.contains("-----BEGIN CERTIFICATE-----")) {
            return "holds a certificate, not a private key (the certificate goes to " + CERT_OPTION + ")";
        }
        return "holds no PEM private key (-----BEGIN PRIVATE KEY-----)";
    }

    /**
     * Whether the key signs what the certificate's public key verifies. {@code true} also when this cannot be told
     * (a key form or algorithm that only Netty reads), so that a working pair is never refused.
     */
    private static boolean matches(X509Certificate certificate, byte[] keyPem) {
        PublicKey publicKey = certificate.getPublicKey();
        String signatureAlgorithm = switch (publicKey.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "DSA" -> "SHA256withDSA";
            case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
            default -> null;
        };
        byte[] der = pkcs8(keyPem);
        if (signatureAlgorithm == null || der == null) {
            return true;
        }
        PrivateKey key = privateKey(der, publicKey.getAlgorithm());
        if (key == null) {
            // Not a key of the certificate's algorithm: a mismatch if it is a key of another one.
            return List.of("RSA", "EC", "DSA", "EdDSA").stream().noneMatch(other -> privateKey(der, other) != null);
        }
        try {
            byte[] probe = "does this key belong to the certificate?".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(signatureAlgorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(signatureAlgorithm);
            verifier.initVerify(publicKey);
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return true;
        }
    }

    /** The DER bytes of the first PKCS#8 block of a PEM file, or {@code null} if it has none. */
    private static byte[] pkcs8(byte[] pem) {
        String text = new String(pem, StandardCharsets.ISO_8859_1);
        int begin = text.indexOf(PKCS8_BEGIN);
        int end = begin < 0 ? -1 : text.indexOf(PKCS8_END, begin);
        if (end < 0) {
            return null;
        }
        try {
            return Base64.getMimeDecoder().decode(text.substring(begin + PKCS8_BEGIN.length(), end));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static PrivateKey privateKey(byte[] der, String algorithm) {
        try {
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            return null;
        }
    }

    private static void warnIfNotValidNow(X509Certificate certificate, Path file) {
        try {
            certificate.checkValidity();
        } catch (CertificateExpiredException e) {
            LOG.warn("The certificate in {} expired on {}; clients will refuse it", file,
                    certificate.getNotAfter().toInstant());
        } catch (CertificateNotYetValidException e) {
            LOG.warn("The certificate in {} is valid only from {}; clients will refuse it until then", file,
                    certificate.getNotBefore().toInstant());
        }
    }

    private static String invalid(String option, Path file, String problem) {
        return "Invalid value for option '" + option + "': '" + file + "' " + problem;
    }
}
