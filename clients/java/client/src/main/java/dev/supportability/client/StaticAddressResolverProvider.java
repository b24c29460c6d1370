package dev.supportability.client;

import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.StatusOr;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;

/**
 * Resolves the target {@code static:///} to a fixed list of addresses, one address group each, so
 * that round-robin spreads calls over all of them. Registered only in the registry of the channel
 * that uses it, never globally.
 */
final class StaticAddressResolverProvider extends NameResolverProvider {
  static final String SCHEME = "static";
  static final String TARGET = SCHEME + ":///supportability";

  private final List<InetSocketAddress> addresses;

  StaticAddressResolverProvider(List<InetSocketAddress> addresses) {
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("at least one address is needed");
    }
    this.addresses = List.copyOf(addresses);
  }

  @Override
  public NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
    if (!SCHEME.equals(targetUri.getScheme())) {
      return null;
    }
    return new NameResolver() {
      @Override
      public String getServiceAuthority() {
        // Used for TLS host name checks: the first address stands for all of them.
        InetSocketAddress first = addresses.get(0);
        return first.getHostString() + ":" + first.getPort();
      }

      @Override
      public void start(Listener2 listener) {
        List<EquivalentAddressGroup> groups =
            addresses.stream().map(EquivalentAddressGroup::new).toList();
        // What the deprecated setAddresses(List) did: the same list, wrapped as a value.
        listener.onResult(
            ResolutionResult.newBuilder().setAddressesOrError(StatusOr.fromValue(groups)).build());
      }

      @Override
      public void shutdown() {}
    };
  }

  @Override
  public String getDefaultScheme() {
    return SCHEME;
  }

  @Override
  protected boolean isAvailable() {
    return true;
  }

  @Override
  protected int priority() {
    return 5;
  }
}
