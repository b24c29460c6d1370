package dev.supportability.client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The real Python server ({@code python -m supportability serve}) on a free loopback port, started
 * once per test class and stopped after it. Register it as a static field:
 *
 * <pre>{@code
 * @RegisterExtension static final PythonServer server = PythonServer.plain();
 * }</pre>
 *
 * <p>When the server cannot start the class's tests fail (they are never skipped): the error
 * carries the server's log. The repository root comes from {@code SUPPORTABILITY_ROOT}, else from
 * walking up to the folder holding {@code buf.yaml}; the model registry from {@code
 * SUPPORTABILITY_REGISTRY}, else {@code <root>/var/registry}. The online store is a fresh SQLite
 * file in the server's temporary folder.
 */
final class PythonServer implements BeforeAllCallback, AfterAllCallback {
  private static final long START_TIMEOUT_MS = 60_000;
  private static final long STOP_TIMEOUT_MS = 15_000;

  private final String token; // null: no authentication
  private final boolean mutualTls;
  private final List<String> options; // more `serve` options
  private Path dir;
  private Process process;
  private String target;

  private PythonServer(String token, boolean mutualTls, List<String> options) {
    this.token = token;
    this.mutualTls = mutualTls;
    this.options = List.copyOf(options);
  }

  /** A server without authentication or TLS. */
  static PythonServer plain() {
    return new PythonServer(null, false, List.of());
  }

  /** A server without authentication or TLS, run with these {@code serve} options. */
  static PythonServer withOptions(String... options) {
    return new PythonServer(null, false, List.of(options));
  }

  /**
   * A server that requires this bearer token and mutual TLS, with a certificate authority, server
   * certificate (for 127.0.0.1) and client certificate made for the test.
   */
  static PythonServer secured(String token) {
    return new PythonServer(token, true, List.of());
  }

  /** The server's {@code 127.0.0.1:port}. */
  String target() {
    return target;
  }

  /** The server's log: its JSON lines, and anything else it printed. */
  Path log() {
    return dir.resolve("server.log");
  }

  /** The PEM of the test certificate authority. */
  Path caCertificate() {
    return dir.resolve("ca.pem");
  }

  /** The PEM of the client certificate, signed by the test authority. */
  Path clientCertificate() {
    return dir.resolve("client.pem");
  }

  /** The PKCS#8 PEM private key of the client certificate. */
  Path clientKey() {
    return dir.resolve("client.key");
  }

  static Path repositoryRoot() {
    String fromEnv = System.getenv("SUPPORTABILITY_ROOT");
    if (fromEnv != null && !fromEnv.isEmpty()) {
      return Paths.get(fromEnv).toAbsolutePath();
    }
    for (Path dir = Paths.get("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.exists(dir.resolve("buf.yaml"))) {
        return dir;
      }
    }
    throw new IllegalStateException(
        "no buf.yaml above "
            + Paths.get("").toAbsolutePath()
            + "; set SUPPORTABILITY_ROOT to the repository root");
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    dir = Files.createTempDirectory("supportability-java-it-");
    Path root = repositoryRoot();
    String registry =
        System.getenv()
            .getOrDefault("SUPPORTABILITY_REGISTRY", root.resolve("var/registry").toString());
    List<String> command =
        new ArrayList<>(
            List.of(
                root.resolve(".venv/bin/python").toString(),
                "-m",
                "supportability",
                "serve",
                "--address",
                "127.0.0.1:0",
                "--ready-file",
                dir.resolve("ready").toString(),
                "--registry",
                registry,
                // The online store (prediction log and outcomes) lives and dies with the test.
                "--store",
                "sqlite:///" + dir.resolve("online.db")));
    if (token != null) {
      Files.writeString(dir.resolve("tokens"), token + "\n");
      command.addAll(List.of("--token-file", dir.resolve("tokens").toString()));
    }
    if (mutualTls) {
      makeCertificates();
      command.addAll(
          List.of(
              "--tls-cert", dir.resolve("server.pem").toString(),
              "--tls-key", dir.resolve("server.key").toString(),
              "--tls-client-ca", caCertificate().toString()));
    }
    command.addAll(options);
    Path log = log();
    process =
        new ProcessBuilder(command)
            .directory(root.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    target = awaitReady(dir.resolve("ready"), log);
  }

  private String awaitReady(Path ready, Path log) throws IOException, InterruptedException {
    long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
    while (System.currentTimeMillis() < deadline) {
      if (Files.exists(ready)) {
        String address = Files.readString(ready).trim();
        if (address.contains(":")) {
          return address;
        }
      }
      if (!process.isAlive()) {
        break;
      }
      Thread.sleep(50);
    }
    String why =
        process.isAlive()
            ? "not ready after " + START_TIMEOUT_MS + " ms"
            : "exited with " + process.exitValue();
    stop();
    throw new IllegalStateException(
        "the Python server did not start ("
            + why
            + "); its log:\n"
            + Files.readString(log, StandardCharsets.UTF_8));
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    try {
      stop();
    } finally {
      deleteRecursively(dir);
    }
  }

  /** SIGTERM, which the server answers with a graceful stop; SIGKILL if that takes too long. */
  private void stop() throws InterruptedException {
    if (process == null) {
      return;
    }
    process.destroy();
    if (!process.waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }
  }

  /** A test CA, a server certificate for 127.0.0.1/localhost and a client certificate. */
  private void makeCertificates() throws IOException, InterruptedException {
    openssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=supportability-test-ca");
    Files.writeString(dir.resolve("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    Files.writeString(dir.resolve("client.ext"), "extendedKeyUsage=clientAuth\n");
    for (String name : List.of("server", "client")) {
      openssl(
          "req",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:prime256v1",
          "-nodes",
          "-keyout",
          name + ".key",
          "-out",
          name + ".csr",
          "-subj",
          "/CN=" + name);
      openssl(
          "x509",
          "-req",
          "-in",
          name + ".csr",
          "-CA",
          "ca.pem",
          "-CAkey",
          "ca.key",
          "-CAcreateserial",
          "-days",
          "2",
          "-extfile",
          name + ".ext",
          "-out",
          name + ".pem");
    }
  }

  private void openssl(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("openssl"));
    command.addAll(List.of(args));
    Process openssl =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String output = new String(openssl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!openssl.waitFor(30, TimeUnit.SECONDS) || openssl.exitValue() != 0) {
      openssl.destroyForcibly();
      throw new IllegalStateException("openssl " + String.join(" ", args) + " failed:\n" + output);
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths
          .sorted(Comparator.reverseOrder())
          .forEach(
              path -> {
                try {
                  Files.delete(path);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    }
  }
}
