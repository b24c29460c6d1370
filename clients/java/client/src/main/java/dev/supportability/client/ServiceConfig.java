package dev.supportability.client;

import com.google.gson.Gson;
import com.google.gson.reflect.TypeToken;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The contract's {@code supportability_grpc_service_config.json}, bundled into the jar at build
 * time from {@code proto/supportability/v1/}: the retry policy (UNAVAILABLE only, exponential
 * backoff with jitter) that every client of the service shares.
 */
final class ServiceConfig {
  static final String RESOURCE = "/supportability/v1/supportability_grpc_service_config.json";

  private ServiceConfig() {}

  /**
   * Loads the bundled config in the form {@code ManagedChannelBuilder.defaultServiceConfig} takes,
   * without its per-method {@code timeout}s: the client sets an explicit deadline on every call,
   * and a config timeout would silently cap a longer deadline a caller asked for.
   */
  static Map<String, ?> load() {
    try (InputStream in = ServiceConfig.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + RESOURCE + " (a broken jar?)");
      }
      Map<String, Object> config =
          new Gson()
              .fromJson(
                  new InputStreamReader(in, StandardCharsets.UTF_8),
                  new TypeToken<LinkedHashMap<String, Object>>() {}.getType());
      return withoutTimeouts(config);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> withoutTimeouts(Map<String, Object> config) {
    List<Object> methodConfigs = new ArrayList<>();
    for (Object entry : (List<Object>) config.getOrDefault("methodConfig", List.of())) {
      Map<String, Object> methodConfig = new LinkedHashMap<>((Map<String, Object>) entry);
      methodConfig.remove("timeout");
      methodConfigs.add(methodConfig);
    }
    Map<String, Object> copy = new LinkedHashMap<>(config);
    copy.put("methodConfig", methodConfigs);
    return copy;
  }
}
