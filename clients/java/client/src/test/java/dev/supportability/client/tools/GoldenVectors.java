package dev.supportability.client.tools;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.supportability.client.SupportabilityClient;
import dev.supportability.v1.PredictCaseRequest;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * The golden-vector runner of the cross-language test: sends every vector's request through the
 * Java client and writes one JSON line per vector, {@code {"name": ..., "prediction": ...}}, with
 * the prediction in proto3 JSON (lowerCamelCase names).
 *
 * <pre>
 * java -cp "$(cat clients/java/client/target/classpath.txt)" \
 *     dev.supportability.client.tools.GoldenVectors HOST:PORT tests/vectors/cases.json OUT.jsonl
 * </pre>
 *
 * <p>Lives with the tests (so the client jar does not depend on protobuf-java-util); {@code mvn
 * package -DskipTests} compiles it and writes the class path file.
 */
public final class GoldenVectors {
  /** The major version of the golden-vector spec (tests/vectors/cases.json) this runner checks. */
  static final String SPEC_MAJOR = "1";

  private GoldenVectors() {}

  /**
   * Runs the vectors; exits with status 1 on any failure, 2 on bad usage.
   *
   * @param args target, vectors file, output file
   */
  public static void main(String[] args) {
    if (args.length != 3) {
      System.err.println("usage: GoldenVectors HOST:PORT VECTORS.json OUT.jsonl");
      System.exit(2);
    }
    try {
      int count = run(args[0], Paths.get(args[1]), Paths.get(args[2]));
      System.err.println("wrote " + count + " predictions to " + args[2]);
    } catch (Exception e) {
      e.printStackTrace();
      System.exit(1);
    }
  }

  /**
   * Predicts every vector of {@code vectors} against {@code target}, writing {@code out}.
   *
   * @return how many vectors were run
   */
  public static int run(String target, Path vectors, Path out) throws IOException {
    JsonObject file = JsonParser.parseString(Files.readString(vectors)).getAsJsonObject();
    String specVersion = file.get("specVersion").getAsString();
    if (!specVersion.startsWith(SPEC_MAJOR + ".")) {
      throw new IOException(
          vectors + ": spec version " + specVersion + ", this runner checks " + SPEC_MAJOR + ".x");
    }
    JsonFormat.Printer printer = JsonFormat.printer().omittingInsignificantWhitespace();
    int count = 0;
    try (SupportabilityClient client = SupportabilityClient.builder().target(target).build();
        BufferedWriter writer = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
      for (JsonElement element : file.getAsJsonArray("vectors")) {
        JsonObject vector = element.getAsJsonObject();
        String name = vector.get("name").getAsString();
        PredictCaseRequest request = parseRequest(name, vector.get("request").toString());
        String prediction = printer.print(client.predictCase(request).getPrediction());
        JsonObject line = new JsonObject();
        line.addProperty("name", name);
        line.add("prediction", JsonParser.parseString(prediction));
        writer.write(line.toString());
        writer.newLine();
        count++;
      }
    }
    return count;
  }

  private static PredictCaseRequest parseRequest(String name, String json) {
    PredictCaseRequest.Builder request = PredictCaseRequest.newBuilder();
    try {
      JsonFormat.parser().merge(json, request);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(
          "vector " + name + ": not a PredictCaseRequest: " + e.getMessage(), e);
    }
    return request.build();
  }
}
