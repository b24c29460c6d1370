package dev.supportability.client;

import io.grpc.ManagedChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.IoHandlerFactory;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The one Netty event-loop thread of a channel the client builds: it does the socket I/O of the
 * channel's connections and runs its calls' deadline timers.
 *
 * <p>gRPC's default is a group shared by every channel of the JVM, two threads per core, and it
 * hands the deadline timers round-robin to the group's threads: half the calls woke a second, idle
 * thread just to arm a timer. With its own thread, a sequential call wakes this thread about twice
 * (to send, and on the response) and the caller once.
 */
final class ClientEventLoop {
  private final EventLoopGroup group;

  private ClientEventLoop(EventLoopGroup group) {
    this.group = group;
  }

  /**
   * Gives the channel its own event loop when the builder is grpc-java's Netty one (what {@code
   * Grpc.newChannelBuilder} returns with the client's dependencies) for TCP addresses.
   *
   * @param target the channel's target, or null for a list of addresses
   * @return the event loop to close once the channel has terminated, or null when the channel keeps
   *     gRPC's (another transport, or a {@code unix:} socket, whose channel type gRPC chooses)
   */
  static ClientEventLoop attachTo(ManagedChannelBuilder<?> builder, String target) {
    if (!(builder instanceof NettyChannelBuilder netty)
        || (target != null && target.startsWith("unix:"))) {
      return null;
    }
    boolean epoll = Epoll.isAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    EventLoopGroup group =
        new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("supportability-transport", true), io);
    netty
        .eventLoopGroup(group)
        .channelType(epoll ? EpollSocketChannel.class : NioSocketChannel.class);
    return new ClientEventLoop(group);
  }

  /** Stops the thread; call it once the channel has terminated and left it nothing to do. */
  void close(Duration timeout) {
    group.shutdownGracefully(0, timeout.toMillis(), TimeUnit.MILLISECONDS).awaitUninterruptibly();
  }
}
