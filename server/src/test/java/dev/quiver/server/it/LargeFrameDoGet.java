package dev.quiver.server.it;

import com.google.protobuf.ByteString;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.flight.impl.Flight;

/**
 * A DoGet over TLS from a bare HTTP/2 client that accepts DATA frames of up to 1 MiB (any HTTP/2
 * peer may raise SETTINGS_MAX_FRAME_SIZE so) and reads only once told to, so the server's frames
 * wait unencrypted in its flow control meanwhile. gRPC's Java and C++ clients keep the 16 KiB
 * default, with which Netty's TLS handler happens to copy every frame (in Java) before encrypting
 * it; with large frames, most of each frame goes to the native TLS engine as the buffer the server
 * handed over, which for Quiver was the mapped file. Counts the DATA bytes and reports the end.
 */
final class LargeFrameDoGet implements AutoCloseable {
  /** How the stream ended: its gRPC status if trailers came, else what happened to it. */
  record Outcome(long dataBytes, String grpcStatus, String grpcMessage, String ended) {}

  private final EventLoopGroup group;
  private final Channel connection;
  private final Http2StreamChannel stream;
  private final AtomicLong dataBytes = new AtomicLong();
  private final CompletableFuture<Outcome> outcome = new CompletableFuture<>();

  private LargeFrameDoGet(EventLoopGroup group, Channel connection, Http2StreamChannel stream) {
    this.group = group;
    this.connection = connection;
    this.stream = stream;
  }

  /**
   * Connects, sends the DoGet for {@code dataset} and returns without reading: the server sends
   * up to {@code streamWindow} bytes, then waits for the client.
   */
  static LargeFrameDoGet open(int port, Path caCertificate, String dataset, int streamWindow) throws Exception {
    SslContext ssl = SslContextBuilder.forClient().trustManager(caCertificate.toFile())
        .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, ApplicationProtocolNames.HTTP_2))
        .build();
    EventLoopGroup group = new NioEventLoopGroup(1);
    try {
      Channel connection = new Bootstrap().group(group).channel(NioSocketChannel.class)
          .handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel channel) {
              channel.pipeline().addLast(ssl.newHandler(channel.alloc(), "localhost", port),
                  Http2FrameCodecBuilder.forClient()
                      .initialSettings(Http2Settings.defaultSettings().maxFrameSize(1 << 20)
                          .initialWindowSize(streamWindow))
                      .build(),
                  new Http2MultiplexHandler(new SimpleChannelInboundHandler<Object>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, Object msg) {}
                  }));
            }
          })
          .connect("127.0.0.1", port).sync().channel();
      // Room on the connection for everything; the stream's own window is what holds the server back.
      connection.writeAndFlush(new DefaultHttp2WindowUpdateFrame(256 << 20)).sync();
      LargeFrameDoGet[] self = new LargeFrameDoGet[1];
      Http2StreamChannel stream = new Http2StreamChannelBootstrap(connection)
          .option(ChannelOption.AUTO_READ, false)
          .handler(new SimpleChannelInboundHandler<Http2StreamFrame>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, Http2StreamFrame frame) {
              self[0].onFrame(frame);
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
              self[0].end(null, null, "stream closed without trailers");
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
              self[0].end(null, null, "failed: " + cause);
            }
          })
          .open().sync().getNow();
      self[0] = new LargeFrameDoGet(group, connection, stream);
      Http2Headers headers = new DefaultHttp2Headers()
          .method("POST").scheme("https").path("/arrow.flight.protocol.FlightService/DoGet")
          .authority("localhost:" + port)
          .add("content-type", "application/grpc").add("te", "trailers");
      stream.write(new DefaultHttp2HeadersFrame(headers));
      byte[] ticket = Flight.Ticket.newBuilder().setTicket(ByteString.copyFromUtf8(dataset)).build().toByteArray();
      ByteBuf message = Unpooled.buffer(5 + ticket.length).writeByte(0).writeInt(ticket.length).writeBytes(ticket);
      stream.writeAndFlush(new DefaultHttp2DataFrame(message, true)).sync();
      return self[0];
    } catch (Exception | Error e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    }
  }

  private void onFrame(Http2StreamFrame frame) {
    if (frame instanceof Http2DataFrame data) {
      dataBytes.addAndGet(data.content().readableBytes()); // released by SimpleChannelInboundHandler
      if (data.isEndStream()) {
        end(null, null, "end of stream without trailers");
      }
    } else if (frame instanceof Http2HeadersFrame headers && headers.isEndStream()) {
      CharSequence status = headers.headers().get("grpc-status");
      CharSequence message = headers.headers().get("grpc-message");
      end(status == null ? null : status.toString(), message == null ? null : message.toString(), "trailers");
    } else if (frame instanceof Http2ResetFrame reset) {
      end(null, null, "reset by the server (HTTP/2 error " + reset.errorCode() + ")");
    }
  }

  private void end(String status, String message, String how) {
    outcome.complete(new Outcome(dataBytes.get(), status, message, how));
  }

  /** Starts reading: the client takes what has arrived and grants the server window again as it reads. */
  void startReading() {
    stream.eventLoop().execute(() -> {
      stream.config().setAutoRead(true);
      stream.read();
    });
  }

  /** Waits for the end of the stream, or of the connection. */
  Outcome await(Duration timeout) throws Exception {
    return outcome.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    connection.close().await(5, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
  }
}
