package dev.quiver.server.config;

import java.nio.file.Path;

/**
 * TLS for the Flight port: a certificate chain and private key (PEM) make the server speak
 * {@code grpc+tls}; a client CA bundle additionally requires every client to present a certificate
 * it signed (mutual TLS). All null: plain TCP.
 */
public record TlsSettings(Path certificateChain, Path privateKey, Path clientCa) {
  public static final TlsSettings NONE = new TlsSettings(null, null, null);

  public TlsSettings {
    if ((certificateChain == null) != (privateKey == null)) {
      throw new IllegalArgumentException("--tls-cert and --tls-key go together: give both or neither");
    }
    if (clientCa != null && certificateChain == null) {
      throw new IllegalArgumentException("--tls-client-ca needs --tls-cert and --tls-key (mutual TLS is TLS first)");
    }
  }

  public boolean enabled() {
    return certificateChain != null;
  }

  public boolean requiresClientCertificates() {
    return clientCa != null;
  }
}
