package dev.quiver.server.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates for the TLS and mutual-TLS tests, generated when a test runs (no private key is ever
 * committed): a CA, a server certificate it signed for {@code localhost} and {@code 127.0.0.1}
 * (subject alternative names), a client certificate it signed, and a second, unrelated CA with a
 * client and a server certificate of its own, for the "wrong CA" cases. Everything is written as
 * PEM into one directory, private keys unencrypted PKCS#8 ({@code BEGIN PRIVATE KEY}), which is
 * what {@code --tls-key}, Netty, gRPC C++ (pyarrow) and the Java client read.
 *
 * <p>Keys are EC P-256: quick to generate, accepted by every TLS stack in the tests.
 *
 * @param ca               the trusted CA's certificate
 * @param serverCert       server certificate (CN=localhost, SAN localhost and 127.0.0.1) signed by {@code ca}
 * @param serverKey        its key
 * @param clientCert       client certificate (CN=quiver-test-client) signed by {@code ca}
 * @param clientKey        its key
 * @param otherCa          an unrelated CA's certificate
 * @param otherClientCert  client certificate signed by {@code otherCa}
 * @param otherClientKey   its key
 * @param otherServerCert  server certificate for localhost and 127.0.0.1 signed by {@code otherCa}
 * @param otherServerKey   its key
 */
public record TestCertificates(
    Path ca, Path serverCert, Path serverKey, Path clientCert, Path clientKey,
    Path otherCa, Path otherClientCert, Path otherClientKey, Path otherServerCert, Path otherServerKey) {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String SIGNATURE = "SHA256withECDSA";

  /** Generates the whole set into {@code directory} (a {@code @TempDir}). */
  public static TestCertificates generate(Path directory) {
    try {
      Files.createDirectories(directory);
      Issued ca = selfSignedCa("Quiver Test CA");
      Issued server = leaf(ca, "localhost", true);
      Issued client = leaf(ca, "quiver-test-client", false);
      Issued otherCa = selfSignedCa("Some Other CA");
      Issued otherClient = leaf(otherCa, "quiver-test-client", false);
      Issued otherServer = leaf(otherCa, "localhost", true);
      return new TestCertificates(
          writeCertificate(directory.resolve("ca.pem"), ca.certificate()),
          writeCertificate(directory.resolve("server.pem"), server.certificate()),
          writeKey(directory.resolve("server.key"), server.keys().getPrivate()),
          writeCertificate(directory.resolve("client.pem"), client.certificate()),
          writeKey(directory.resolve("client.key"), client.keys().getPrivate()),
          writeCertificate(directory.resolve("other-ca.pem"), otherCa.certificate()),
          writeCertificate(directory.resolve("other-client.pem"), otherClient.certificate()),
          writeKey(directory.resolve("other-client.key"), otherClient.keys().getPrivate()),
          writeCertificate(directory.resolve("other-server.pem"), otherServer.certificate()),
          writeKey(directory.resolve("other-server.key"), otherServer.keys().getPrivate()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot generate test certificates", e);
    }
  }

  /** A key pair and the certificate issued for it. */
  private record Issued(KeyPair keys, X509Certificate certificate) {}

  private static KeyPair newKeyPair() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
    return generator.generateKeyPair();
  }

  private static Issued selfSignedCa(String commonName) throws GeneralSecurityException, OperatorCreationException,
      IOException {
    KeyPair keys = newKeyPair();
    X500Name name = new X500Name("CN=" + commonName + ",O=Quiver tests");
    JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
    X509v3CertificateBuilder builder = builder(name, name, keys)
        .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
        .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
        .addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(keys.getPublic()));
    return new Issued(keys, sign(builder, keys.getPrivate()));
  }

  private static Issued leaf(Issued issuer, String commonName, boolean server) throws GeneralSecurityException,
      OperatorCreationException, IOException {
    KeyPair keys = newKeyPair();
    JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
    X500Name issuerName = X500Name.getInstance(issuer.certificate().getSubjectX500Principal().getEncoded());
    X509v3CertificateBuilder builder = builder(issuerName, new X500Name("CN=" + commonName + ",O=Quiver tests"), keys)
        .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
        .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement))
        .addExtension(Extension.extendedKeyUsage, false,
            new ExtendedKeyUsage(server ? KeyPurposeId.id_kp_serverAuth : KeyPurposeId.id_kp_clientAuth))
        .addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(keys.getPublic()))
        .addExtension(Extension.authorityKeyIdentifier, false,
            extensions.createAuthorityKeyIdentifier(issuer.certificate()));
    if (server) {
      builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
          new GeneralName(GeneralName.dNSName, "localhost"),
          new GeneralName(GeneralName.iPAddress,
              new DEROctetString(InetAddress.getByName("127.0.0.1").getAddress()))}));
    }
    return new Issued(keys, sign(builder, issuer.keys().getPrivate()));
  }

  private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
    Instant now = Instant.now();
    return new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, RANDOM).add(BigInteger.ONE),
        Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(2))), subject,
        keys.getPublic());
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey issuerKey)
      throws OperatorCreationException, GeneralSecurityException {
    return new JcaX509CertificateConverter().getCertificate(builder.build(
        new JcaContentSignerBuilder(SIGNATURE).build(issuerKey)));
  }

  private static Path writeCertificate(Path file, X509Certificate certificate) throws IOException,
      GeneralSecurityException {
    return writePem(file, "CERTIFICATE", certificate.getEncoded());
  }

  /** The JDK encodes private keys as PKCS#8. */
  private static Path writeKey(Path file, PrivateKey key) throws IOException {
    if (!"PKCS#8".equals(key.getFormat())) {
      throw new IllegalStateException("expected a PKCS#8 key, got " + key.getFormat());
    }
    return writePem(file, "PRIVATE KEY", key.getEncoded());
  }

  private static Path writePem(Path file, String type, byte[] der) throws IOException {
    String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    Files.writeString(file, "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n",
        StandardCharsets.US_ASCII);
    return file;
  }

  /** The contents of a PEM file, for APIs that take streams or strings. */
  public static byte[] read(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
