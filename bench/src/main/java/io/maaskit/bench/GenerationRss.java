package io.maaskit.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Peak RSS of the HTTP server serving a generator: starts {@code java -jar quarkus-run.jar} on a
 * local store with {@code MAAS_THREADS} threads, sends greedy completions (one at a time, then
 * {@code --concurrent} together, so the KV caches of a full batch are held once), and reads the
 * process' {@code VmHWM} (a random checkpoint's tokenizer has no chat template, so {@code
 * /v1/completions}). Writes {@code {"peak_rss_mb", "rss_now_mb", ...}}.
 *
 * <pre>
 * GenerationRss --app functions/http/target/quarkus-app/quarkus-run.jar --store bench/work/gen-store \
 *     --model smollm2-135m-random-fp32-int4 --threads 2 --new-tokens 64 --out server-rss.json
 * </pre>
 */
public final class GenerationRss {
  private static final ObjectMapper JSON = new ObjectMapper();

  private GenerationRss() {}

  public static void main(String[] args) throws Exception {
    Path app = null;
    Path store = null;
    Path out = null;
    String model = null;
    int threads = Subject.threads();
    int newTokens = 64;
    int concurrent = 8;
    for (int i = 0; i + 1 < args.length; i += 2) {
      String v = args[i + 1];
      switch (args[i]) {
        case "--app" -> app = Path.of(v);
        case "--store" -> store = Path.of(v);
        case "--out" -> out = Path.of(v);
        case "--model" -> model = v;
        case "--threads" -> threads = Integer.parseInt(v);
        case "--new-tokens" -> newTokens = Integer.parseInt(v);
        case "--concurrent" -> concurrent = Integer.parseInt(v);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (app == null || store == null || out == null || model == null) {
      throw new IllegalArgumentException("need --app, --store, --model and --out");
    }
    int port = ColdStart.freePort();
    Path log = out.resolveSibling("server-rss.log");
    Path cache = Files.createTempDirectory("maas-bench-rss-cache-");
    ProcessBuilder pb =
        new ProcessBuilder(
            ColdStart.javaBin(), "-Dai.djl.offline=true", "-jar", app.toAbsolutePath() + "");
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("AWS_") || k.startsWith("MAAS_") || k.equals("PORT"));
    env.put("PORT", Integer.toString(port));
    env.put("MAAS_MODEL_STORE", store.toAbsolutePath().toString());
    env.put("MAAS_CACHE_DIR", cache.toString());
    env.put("MAAS_THREADS", Integer.toString(threads));
    env.put("MAAS_GENERATION_DEFAULT_MODEL", model);
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    Process p = pb.start();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    try {
      String body =
          JSON.writeValueAsString(
              Map.of(
                  "model",
                  model,
                  "prompt",
                  "Tax filings are due at the end of the month, and",
                  "max_tokens",
                  newTokens,
                  "temperature",
                  0));
      long t0 = System.nanoTime();
      int status = 0;
      String last = "";
      while (status != 200) {
        if (!p.isAlive() || System.nanoTime() - t0 > Duration.ofMinutes(5).toNanos()) {
          throw new IllegalStateException(
              "the server did not answer 200 (last " + status + " " + last + "; log " + log + ")");
        }
        try {
          HttpResponse<String> r =
              http.send(complete(port, body), HttpResponse.BodyHandlers.ofString());
          status = r.statusCode();
          last = r.body();
        } catch (java.io.IOException notYet) {
          status = -1;
        }
        if (status != 200) {
          Thread.sleep(200);
        }
      }
      ObjectNode r = JSON.createObjectNode();
      r.put("model", model);
      r.put("threads", threads);
      r.put("new_tokens", newTokens);
      r.put("rss_after_first_mb", ColdStart.procStatusKb(p.pid(), "VmHWM") / 1024.0);
      List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
      for (int i = 0; i < concurrent; i++) {
        all.add(http.sendAsync(complete(port, body), HttpResponse.BodyHandlers.ofString()));
      }
      for (CompletableFuture<HttpResponse<String>> f : all) {
        HttpResponse<String> resp = f.join();
        if (resp.statusCode() != 200) {
          throw new IllegalStateException(resp.statusCode() + ": " + resp.body());
        }
      }
      r.put("concurrent_requests", concurrent);
      r.put("peak_rss_mb", ColdStart.procStatusKb(p.pid(), "VmHWM") / 1024.0);
      r.put("rss_now_mb", ColdStart.procStatusKb(p.pid(), "VmRSS") / 1024.0);
      Files.createDirectories(out.toAbsolutePath().getParent());
      JSON.writerWithDefaultPrettyPrinter().writeValue(out.toFile(), r);
      System.err.printf("[generation] server peak RSS %.0f MB%n", r.path("peak_rss_mb").asDouble());
    } finally {
      p.destroy();
      p.waitFor();
      ColdStart.deleteRecursively(cache);
    }
  }

  private static HttpRequest complete(int port, String body) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/completions"))
        .header("content-type", "application/json")
        .timeout(Duration.ofMinutes(5))
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
  }
}
