package dev.quiver.server.config;

import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;

/** Builds the Flight port's TLS context from PEM files, failing with the file and the problem named. */
public final class TlsContexts {
  private TlsContexts() {}

  /**
   * @throws IllegalArgumentException naming the option, the file and what is wrong with it
   */
  public static SslContext server(TlsSettings tls) {
    Path cert = readable("--tls-cert", tls.certificateChain());
    Path key = readable("--tls-key", tls.privateKey());
    SslContextBuilder builder;
    try {
      builder = GrpcSslContexts.configure(SslContextBuilder.forServer(cert.toFile(), key.toFile()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--tls-cert " + cert + " / --tls-key " + key + ": not a PEM certificate chain"
          + " and a matching PEM private key (PKCS#8): " + rootMessage(e), e);
    }
    checkKeyMatches(cert, key);
    if (tls.requiresClientCertificates()) {
      Path ca = readable("--tls-client-ca", tls.clientCa());
      try {
        builder.trustManager(ca.toFile()).clientAuth(ClientAuth.REQUIRE);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--tls-client-ca " + ca + ": not a PEM certificate bundle: "
            + rootMessage(e), e);
      }
    }
    try {
      return builder.build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot set up TLS with --tls-cert " + cert + " and --tls-key " + key + ": "
          + rootMessage(e), e);
    }
  }

  /**
   * The JDK TLS stack does not check that the key belongs to the certificate: a mismatch would only
   * show as failed handshakes. Signs a challenge with the key and verifies it with the certificate.
   * Only PKCS#8 keys are checked (others were accepted by a PEM reader this check does not replace).
   */
  private static void checkKeyMatches(Path cert, Path key) {
    PublicKey publicKey;
    PrivateKey privateKey;
    try (InputStream in = Files.newInputStream(cert)) {
      publicKey = CertificateFactory.getInstance("X.509").generateCertificate(in).getPublicKey();
      String pem = Files.readString(key, StandardCharsets.US_ASCII);
      Matcher m = Pattern.compile("-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----")
          .matcher(pem);
      if (!m.find()) {
        return;
      }
      byte[] der = Base64.getMimeDecoder().decode(m.group(1));
      privateKey = KeyFactory.getInstance(publicKey.getAlgorithm()).generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalArgumentException("--tls-key " + key + " is not a key of the certificate in --tls-cert " + cert
          + ": " + rootMessage(e), e);
    }
    boolean matches;
    try {
      String algorithm = switch (publicKey.getAlgorithm()) {
        case "RSA" -> "SHA256withRSA";
        case "EC" -> "SHA256withECDSA";
        case "DSA" -> "SHA256withDSA";
        default -> publicKey.getAlgorithm(); // EdDSA, Ed25519, Ed448: the key algorithm names the signature
      };
      byte[] challenge = "quiver key check".getBytes(StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(privateKey);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(publicKey);
      verifier.update(challenge);
      matches = verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return; // a key type this check cannot sign with: let the TLS stack judge it
    }
    if (!matches) {
      throw new IllegalArgumentException("--tls-key " + key + " does not match the certificate in --tls-cert " + cert
          + " (it is the private key of another certificate)");
    }
  }

  private static Path readable(String option, Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(option + " " + file + ": no such file");
    }
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException(option + " " + file + ": not readable by this user");
    }
    return file;
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.toString() : root.getMessage();
  }
}
