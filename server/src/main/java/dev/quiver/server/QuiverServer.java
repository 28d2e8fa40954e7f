package dev.quiver.server;

import dev.quiver.server.catalog.Catalog;
import dev.quiver.server.catalog.DataRoot;
import dev.quiver.server.config.ServerConfig;
import dev.quiver.server.flight.FlightServiceDefinition;
import dev.quiver.server.upload.DatasetStore;
import dev.quiver.server.upload.UploadStaging;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * A running Quiver server: a gRPC server bound to one address, serving the Flight service over the
 * catalog of one data root. It owns, and closes in reverse order of creation, the Arrow allocator,
 * the catalog (and so the catalog's references to mapped files) and the gRPC server.
 */
public final class QuiverServer implements AutoCloseable {
  private final ServerConfig config;
  private final BufferAllocator allocator;
  private final Catalog catalog;
  private final Server grpc;

  private QuiverServer(ServerConfig config, BufferAllocator allocator, Catalog catalog, Server grpc) {
    this.config = config;
    this.allocator = allocator;
    this.catalog = catalog;
    this.grpc = grpc;
  }

  /** Starts serving {@code config.dataDir()}; the directory must exist. */
  public static QuiverServer start(ServerConfig config) throws IOException {
    BufferAllocator allocator = new RootAllocator(config.allocatorLimit());
    Catalog catalog = null;
    try {
      DataRoot root = DataRoot.open(config.dataDir());
      catalog = new Catalog(root);
      DatasetStore store = new DatasetStore(root, catalog, UploadStaging.open(root.path()));
      Server grpc = NettyServerBuilder.forAddress(new InetSocketAddress(config.host(), config.port()))
          // Netty's default write-buffer marks (32/64 KiB) make HTTP/2 stop writing to the socket after
          // every 64 KiB and wait for it to drain: many small writev calls and writability events. The
          // queued bytes are mapped file pages, not copies, so a few MiB cost no memory; measured, this
          // cut server CPU per GB served by about a quarter (docs/performance.md).
          .withChildOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
              new WriteBufferWaterMark(config.writeBufferBytes() / 2, config.writeBufferBytes()))
          .addService(FlightServiceDefinition.create(catalog, store, allocator,
              new FlightServiceDefinition.Options(config.endpointTargetBytes(), config.onReadyThreshold(),
                  config.uploadLimits())))
          .maxInboundMessageSize(Integer.MAX_VALUE)
          .build()
          .start();
      return new QuiverServer(config, allocator, catalog, grpc);
    } catch (IOException | RuntimeException | Error e) {
      if (catalog != null) {
        catalog.close();
      }
      allocator.close();
      throw e;
    }
  }

  public int port() {
    return ((InetSocketAddress) grpc.getListenSockets().get(0)).getPort();
  }

  public String host() {
    return config.host();
  }

  /** The Flight location clients connect to, e.g. {@code grpc+tcp://127.0.0.1:8815}. */
  public String location() {
    String host = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
    return "grpc+tcp://" + host + ":" + port();
  }

  public Catalog catalog() {
    return catalog;
  }

  public BufferAllocator allocator() {
    return allocator;
  }

  public void awaitTermination() throws InterruptedException {
    grpc.awaitTermination();
  }

  /** Stops accepting calls, lets running ones finish for a few seconds, then releases everything. */
  @Override
  public void close() throws InterruptedException {
    try {
      grpc.shutdown();
      if (!grpc.awaitTermination(5, TimeUnit.SECONDS)) {
        grpc.shutdownNow();
        grpc.awaitTermination(5, TimeUnit.SECONDS);
      }
    } finally {
      catalog.close();
      allocator.close();
    }
  }
}
