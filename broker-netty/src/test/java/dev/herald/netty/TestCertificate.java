package dev.herald.netty;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * A self-signed certificate for {@code localhost} and {@code 127.0.0.1}, made by the JDK's {@code keytool} and
 * written as the PEM files a server is started with: {@link #certificateFile()} and {@link #privateKeyFile()}
 * (PKCS#8). {@link #clientContext()} gives clients an {@link SSLContext} that trusts it and nothing else.
 */
public final class TestCertificate {
    private static final char[] PASSWORD = "herald-test".toCharArray();
    private static final String ALIAS = "herald";

    private final Path certificateFile;
    private final Path privateKeyFile;
    private final X509Certificate certificate;

    private TestCertificate(Path certificateFile, Path privateKeyFile, X509Certificate certificate) {
        this.certificateFile = certificateFile;
        this.privateKeyFile = privateKeyFile;
        this.certificate = certificate;
    }

    /**
     * Makes a certificate with an EC key.
     *
     * @param dir where to write the files; a test's temporary directory
     * @return the certificate
     */
    public static TestCertificate create(Path dir) {
        return create(dir, "EC");
    }

    /**
     * Makes a certificate.
     *
     * @param dir          where to write the files; a test's temporary directory
     * @param keyAlgorithm {@code EC} or {@code RSA}
     * @return the certificate
     */
    public static TestCertificate create(Path dir, String keyAlgorithm) {
        try {
            Path work = Files.createTempDirectory(dir, "cert-");
            Path keyStoreFile = work.resolve("keystore.p12");
            keytool("-genkeypair", "-alias", ALIAS, "-keyalg", keyAlgorithm, "-storetype", "PKCS12",
                    "-keystore", keyStoreFile.toString(), "-storepass", new String(PASSWORD),
                    "-keypass", new String(PASSWORD), "-dname", "CN=localhost", "-validity", "2",
                    "-ext", "SAN=ip:127.0.0.1,dns:localhost");
            KeyStore keyStore = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(keyStoreFile)) {
                keyStore.load(in, PASSWORD);
            }
            PrivateKey key = (PrivateKey) keyStore.getKey(ALIAS, PASSWORD);
            X509Certificate certificate = (X509Certificate) keyStore.getCertificate(ALIAS);
            if (!"PKCS#8".equals(key.getFormat())) {
                throw new IllegalStateException("keytool made a " + key.getFormat() + " key, not PKCS#8");
            }
            Path certificateFile = work.resolve("cert.pem");
            Path privateKeyFile = work.resolve("key.pem");
            Files.writeString(certificateFile, pem("CERTIFICATE", certificate.getEncoded()),
                    StandardCharsets.US_ASCII);
            Files.writeString(privateKeyFile, pem("PRIVATE KEY", key.getEncoded()), StandardCharsets.US_ASCII);
            return new TestCertificate(certificateFile, privateKeyFile, certificate);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot read the key store keytool made", e);
        }
    }

    private static void keytool(String... args) throws IOException {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        List<String> command = new ArrayList<>(List.of(keytool.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("keytool did not finish: " + output);
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException("keytool failed with " + process.exitValue() + ": " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while keytool ran", e);
        } finally {
            process.destroyForcibly();
        }
    }

    /** PEM: the DER bytes in Base64, 64 characters a line, between the type's markers. */
    static String pem(String type, byte[] der) {
        String base64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + base64 + "\n-----END " + type + "-----\n";
    }

    /** @return the PEM file of the certificate */
    public Path certificateFile() {
        return certificateFile;
    }

    /** @return the PEM file of its private key, PKCS#8, not encrypted */
    public Path privateKeyFile() {
        return privateKeyFile;
    }

    /** @return the certificate */
    public X509Certificate certificate() {
        return certificate;
    }

    /**
     * A server context on these files, as an application embedding the server makes one.
     *
     * @return a new server context
     */
    public SslContext serverContext() {
        try {
            return SslContextBuilder.forServer(certificateFile.toFile(), privateKeyFile.toFile()).build();
        } catch (SSLException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A client context that trusts this certificate only.
     *
     * @return a new TLS context for the JDK's HTTP and WebSocket clients
     */
    public SSLContext clientContext() {
        try {
            KeyStore trusted = KeyStore.getInstance("PKCS12");
            trusted.load(null, null);
            trusted.setCertificateEntry(ALIAS, certificate);
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot make a client context trusting the test certificate", e);
        }
    }
}
