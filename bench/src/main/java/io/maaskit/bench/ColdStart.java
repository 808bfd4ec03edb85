package io.maaskit.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.pkg.ModelManifest;
import io.maaskit.model.pkg.ModelPackage;
import io.maaskit.model.store.LocalModelStore;
import io.maaskit.model.store.Progress;
import io.maaskit.model.store.S3ModelStore;
import io.maaskit.model.store.S3Settings;
import io.maaskit.model.store.S3Stores;
import io.maaskit.model.store.internal.S3Location;
import java.io.FilterInputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * Whole-process cold start: S3Proxy in this process holds the packages (published with the kit's
 * own S3 store code); each trial starts {@code java -jar quarkus-run.jar} with {@code
 * MAAS_MODEL_STORE=s3://…}, dummy credentials, a fresh package cache and either a fresh {@code
 * DJL_CACHE_DIR} (engine and tokenizer natives must be unpacked) or an already-populated one, on
 * each engine given with {@code --engine} ({@code MAAS_ENGINE}: onnxruntime, pytorch), and measures
 * process start → first 200 from {@code POST /v1/embeddings}. Bytes downloaded come from the
 * server's {@code GET /info} and are cross-checked against the bytes S3Proxy served. Once per
 * model, a load of two 256-input requests follows and the serving process' peak RSS ({@code VmHWM})
 * is read from {@code /proc}.
 *
 * <pre>
 * ColdStart --app functions/http/target/quarkus-app/quarkus-run.jar --store bench/work/store \
 *     --model fp32=all-minilm-l6-v2 --model int8=all-minilm-l6-v2-int8 --work bench/work/coldstart \
 *     --engine onnxruntime --engine pytorch --trials 3 --out bench/work/coldstart.json
 * </pre>
 */
public final class ColdStart {
  private static final String BUCKET = "bench";
  private static final String PREFIX = "models";
  private static final String ACCESS_KEY = "bench-access";
  private static final String SECRET_KEY = "bench-secret";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path app;
  private final Path work;
  private final int threads;
  private final List<String> engines;
  private final List<String> serverJavaOpts;
  private boolean preload = true;
  private boolean appCds = true;
  private final HttpClient http =
      // HTTP/1.1: the server answers loopback requests only for Host localhost/127.0.0.1, and an
      // h2c
      // upgrade would carry the authority in a pseudo-header it does not read as Host.
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();
  private long quietWait = 10_000;
  private final java.util.Set<String> failed = new java.util.HashSet<>();
  private ArrayNode failures;
  private Counting blobs;
  private URI endpoint;

  private ColdStart(
      Path app, Path work, int threads, List<String> engines, List<String> serverJavaOpts) {
    this.app = app;
    this.work = work;
    this.threads = threads;
    this.engines = engines;
    this.serverJavaOpts = serverJavaOpts;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> models = new LinkedHashMap<>();
    Path app = null;
    Path store = null;
    Path work = null;
    Path out = null;
    int trials = 3;
    int coldTrials = 1;
    int threads = Subject.threads();
    List<String> javaOpts = new ArrayList<>();
    List<String> engines = new ArrayList<>();
    boolean preload = true;
    boolean appCds = true;
    for (int i = 0; i < args.length; i++) {
      String v = i + 1 < args.length ? args[i + 1] : null;
      switch (args[i]) {
        case "--app" -> app = Path.of(v);
        case "--store" -> store = Path.of(v);
        case "--work" -> work = Path.of(v);
        case "--out" -> out = Path.of(v);
        case "--trials" -> trials = Integer.parseInt(v);
        case "--cold-trials" -> coldTrials = Integer.parseInt(v);
        case "--threads" -> threads = Integer.parseInt(v);
        case "--engine" -> engines.add(v);
        case "--preload" -> preload = Boolean.parseBoolean(v);
        case "--app-cds" -> appCds = Boolean.parseBoolean(v);
        case "--server-java-opts" ->
            javaOpts.addAll(
                List.of(v.trim().split("\\s+")).stream().filter(x -> !x.isEmpty()).toList());
        case "--model" -> {
          String[] kv = v.split("=", 2);
          models.put(kv[0], kv[1]);
        }
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
      i++;
    }
    if (app == null || store == null || work == null || out == null || models.isEmpty()) {
      throw new IllegalArgumentException(
          "need --app, --store, --work, --out and at least one --model dtype=name");
    }
    if (engines.isEmpty()) {
      engines.add("auto");
    }
    ColdStart bench = new ColdStart(app, work, threads, engines, javaOpts);
    bench.preload = preload;
    bench.appCds = appCds;
    ObjectNode result = bench.run(store, models, trials, coldTrials);
    Files.createDirectories(out.toAbsolutePath().getParent());
    JSON.writerWithDefaultPrettyPrinter().writeValue(out.toFile(), result);
  }

  private ObjectNode run(Path storeDir, Map<String, String> models, int trials, int coldTrials)
      throws Exception {
    deleteRecursively(work);
    Files.createDirectories(work.resolve("logs"));
    ObjectNode result = JSON.createObjectNode();
    ArrayNode runs = result.putArray("trials");
    S3Proxy proxy = startS3Proxy(work.resolve("s3"));
    S3Settings settings =
        new S3Settings(
            endpoint,
            "us-east-1",
            true,
            S3Settings.DEFAULT_PART_SIZE,
            S3Settings.DEFAULT_CONCURRENCY,
            S3Settings.DEFAULT_MAX_ATTEMPTS);
    Map<String, ModelManifest> manifests = new LinkedHashMap<>();
    try (S3Client client =
        S3Stores.client(
            settings,
            StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))) {
      LocalModelStore local = new LocalModelStore(storeDir);
      S3ModelStore s3 =
          new S3ModelStore(client, S3Location.parse("s3://" + BUCKET + "/" + PREFIX), settings);
      for (Map.Entry<String, String> m : models.entrySet()) {
        ModelId id = local.resolve(ModelId.parse(m.getValue()));
        Path dir = local.dir(id);
        ModelManifest manifest = ModelPackage.read(dir);
        s3.publish(dir, false, Progress.NONE);
        manifests.put(m.getKey(), manifest);
        System.err.printf(
            "[coldstart] published %s (%s, %d bytes) to s3://%s/%s/%n",
            manifest.id(), m.getKey(), manifest.totalBytes(), BUCKET, PREFIX);
      }
      result.put(
          "s3_endpoint", "S3Proxy (in the driver process, filesystem blob store) at " + endpoint);
      result.put("threads", threads);
      result.put("server_command", String.join(" ", serverCommand()));
      result.put("preload", preload);
      result.put("app_cds", archive());
      result.put("server_directory", app.toAbsolutePath().getParent().toString());
      ObjectNode sizes = result.putObject("package_bytes");
      manifests.forEach((k, v) -> sizes.put(k, v.totalBytes()));

      Path warmNatives = work.resolve("djl-warm");
      boolean warmPrimed = false;
      failures = result.putArray("failures");
      // Cold natives first: the first one also populates the shared DJL cache for the warm trials.
      for (int c = 0; c < coldTrials; c++) {
        for (String engine : engines) {
          for (String dtype : models.keySet()) {
            if (failed.contains(engine)) {
              continue;
            }
            Path djl =
                warmPrimed
                    ? work.resolve("djl-cold-" + engine + "-" + dtype + "-" + c)
                    : warmNatives;
            ObjectNode r = attempt(engine, dtype, models.get(dtype), "cold", c, djl, false);
            if (r != null) {
              runs.add(r);
            }
            // (not retried: its DJL cache is no longer fresh)
            if (djl.equals(warmNatives)) {
              warmPrimed = r != null;
            } else {
              deleteRecursively(djl);
            }
          }
        }
      }
      // Every engine's natives must be in the shared cache before the warm trials.
      for (String engine : engines) {
        if (!failed.contains(engine) && (!warmPrimed || !engine.equals(engines.get(0)))) {
          attempt(
              engine,
              models.keySet().iterator().next(),
              models.values().iterator().next(),
              "prime",
              0,
              warmNatives,
              false);
        }
      }
      // Warm natives, dtypes interleaved so drift does not favour one; the first of each also
      // measures RSS.
      for (int t = 0; t < trials; t++) {
        for (String engine : engines) {
          for (String dtype : models.keySet()) {
            if (failed.contains(engine)) {
              continue;
            }
            ObjectNode r =
                attempt(engine, dtype, models.get(dtype), "warm", t, warmNatives, t == 0);
            if (r == null) {
              continue;
            }
            if (r.path("foreign_cores").asDouble() > Contention.QUIET_CORES) {
              // Another process used the CPU meanwhile: measure once more and keep the quieter
              // attempt.
              ObjectNode again =
                  trial(engine, dtype, models.get(dtype), "warm", t, warmNatives, t == 0);
              again.put("retried", true);
              r =
                  again.path("foreign_cores").asDouble() < r.path("foreign_cores").asDouble()
                      ? again
                      : r;
            }
            runs.add(r);
          }
        }
      }
    } finally {
      proxy.stop();
    }
    return result;
  }

  /**
   * A trial that may fail without ending the run (an engine this server cannot start, say): the
   * failure is recorded, the engine's remaining trials are skipped, and null is returned.
   */
  private ObjectNode attempt(
      String engine,
      String dtype,
      String model,
      String natives,
      int index,
      Path djlCache,
      boolean load) {
    try {
      return trial(engine, dtype, model, natives, index, djlCache, load);
    } catch (Exception e) {
      failed.add(engine);
      failures
          .addObject()
          .put("engine", engine)
          .put("dtype", dtype)
          .put("natives", natives)
          .put("error", String.valueOf(e.getMessage()));
      System.err.printf(
          "[coldstart] %s %s natives=%s failed, skipping the engine's other trials: %s%n",
          engine, dtype, natives, e.getMessage());
      return null;
    }
  }

  private ObjectNode trial(
      String engine,
      String dtype,
      String model,
      String natives,
      int index,
      Path djlCache,
      boolean load)
      throws Exception {
    int port = freePort();
    String label = engine + "-" + dtype + "-" + natives + "-" + index;
    Path cache = work.resolve("cache-" + label);
    deleteRecursively(cache);
    Files.createDirectories(djlCache);
    Path log = work.resolve("logs").resolve(label + ".log");
    ProcessBuilder pb =
        new ProcessBuilder(serverCommand()).directory(app.toAbsolutePath().getParent().toFile());
    Map<String, String> env = pb.environment();
    env.keySet()
        .removeIf(
            k ->
                k.startsWith("AWS_")
                    || k.startsWith("MAAS_")
                    || k.startsWith("DJL_")
                    || k.equals("ENGINE_CACHE_DIR")
                    || k.equals("PORT")
                    || k.equals("JAVA_TOOL_OPTIONS"));
    env.put("PORT", Integer.toString(port));
    env.put("MAAS_MODEL_STORE", "s3://" + BUCKET + "/" + PREFIX);
    env.put("MAAS_DEFAULT_MODEL", model);
    env.put("MAAS_CACHE_DIR", cache.toAbsolutePath().toString());
    env.put("MAAS_THREADS", Integer.toString(threads));
    env.put("MAAS_ENGINE", engine);
    // With preload (the cold-start variant's setting) the default model loads on a background
    // thread from boot while the port opens; the first request waits for that same load.
    env.put("MAAS_PRELOAD", Boolean.toString(preload));
    env.put("AWS_ENDPOINT_URL_S3", endpoint.toString());
    env.put("AWS_ACCESS_KEY_ID", ACCESS_KEY);
    env.put("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
    env.put("AWS_REGION", "us-east-1");
    env.put("AWS_EC2_METADATA_DISABLED", "true");
    env.put("DJL_CACHE_DIR", djlCache.toAbsolutePath().toString());
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    blobs.reset();

    long waited = Contention.awaitQuiet(Contention.QUIET_CORES, quietWait);
    quietWait =
        waited >= quietWait
            ? 2_000
            : quietWait; // a machine that stays busy costs seconds, not minutes
    Contention c0 = Contention.now();
    long t0 = System.nanoTime();
    Process p = pb.start();
    ObjectNode r = JSON.createObjectNode();
    try {
      long listen = waitForPort(p, port, t0, log);
      String body = JSON.writeValueAsString(Map.of("input", "hello world", "model", model));
      long first = -1;
      int status = 0;
      while (first < 0) {
        HttpResponse<String> resp = post(port, body);
        status = resp.statusCode();
        if (status == 200) {
          first = System.nanoTime();
        } else if (status == 503 && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(180)) {
          Thread.sleep(20);
        } else {
          throw new IllegalStateException(
              "first request got " + status + ": " + resp.body() + " (log: " + log + ")");
        }
      }
      r.put("engine", engine);
      r.put("dtype", dtype);
      r.put("model", model);
      r.put("natives", natives);
      r.put("trial", index);
      r.put("ms_to_listen", ms(listen - t0));
      r.put("ms_to_first_embedding", ms(first - t0));
      r.put("bytes_served_by_s3", blobs.served.get());
      r.put("gets_served_by_s3", blobs.gets.get());
      JsonNode info = JSON.readTree(get(port, "/info").body());
      for (JsonNode m : info.path("models")) {
        JsonNode stats = m.path("stats");
        if (!stats.isMissingNode() && !stats.isNull()) {
          r.put("bytes_downloaded", stats.path("bytesDownloaded").asLong());
          r.put("load_fetch_ms", stats.path("fetchMillis").asLong());
          r.put("load_build_ms", stats.path("buildMillis").asLong());
        }
      }
      r.set("timeline_ms", timeline(log, ms(listen - t0), ms(first - t0)));
      // The JVM says so (and starts without it) when the archive does not fit this JVM or path.
      r.put(
          "app_cds_used",
          archive()
              && Files.readAllLines(log).stream()
                  .noneMatch(l -> l.contains("Unable to use shared archive")));
      r.put("rss_after_first_mb", procStatusKb(p.pid(), "VmHWM") / 1024.0);
      if (load) {
        String batch =
            JSON.writeValueAsString(
                Map.of("input", Corpus.batch(Corpus.MAX_BATCH), "model", model));
        for (int i = 0; i < 2; i++) {
          long b0 = System.nanoTime();
          HttpResponse<String> resp = post(port, batch);
          if (resp.statusCode() != 200) {
            throw new IllegalStateException(
                "batch request got " + resp.statusCode() + ": " + resp.body());
          }
          r.put("http_batch256_ms_" + i, ms(System.nanoTime() - b0));
        }
        r.put("peak_rss_mb", procStatusKb(p.pid(), "VmHWM") / 1024.0);
        r.put("rss_now_mb", procStatusKb(p.pid(), "VmRSS") / 1024.0);
      }
      r.put(
          "foreign_cores",
          Math.round(Contention.now().foreignCoresSince(c0, Contention.cpuTicks(p.pid())) * 1000)
              / 1000.0);
      r.put("waited_for_quiet_ms", waited);
      System.err.printf(
          "[coldstart] %-11s %-4s natives=%-5s #%d: listening %5.0f ms, first embedding %5.0f ms, %d bytes"
              + " downloaded%s (others used %.2f cores)%n",
          engine,
          dtype,
          natives,
          index,
          r.path("ms_to_listen").asDouble(),
          r.path("ms_to_first_embedding").asDouble(),
          r.path("bytes_downloaded").asLong(),
          load
              ? String.format(
                  ", peak RSS %.0f MB after 2×256 inputs", r.path("peak_rss_mb").asDouble())
              : "",
          r.path("foreign_cores").asDouble());
    } finally {
      p.destroy();
      if (!p.waitFor(15, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor();
      }
      deleteRecursively(cache);
    }
    return r;
  }

  /**
   * The server command, run in the jar's directory as scripts/serve runs it: {@code java}, the
   * AppCDS archive Quarkus wrote beside the jar ({@code app-cds.jsa}, when there and not turned
   * off), the extra options, {@code -jar quarkus-run.jar}. The archive records the class path as
   * the build ran it (relative to that directory); from elsewhere the JVM ignores it.
   */
  private List<String> serverCommand() {
    List<String> cmd = new ArrayList<>(List.of(javaBin(), "-Dai.djl.offline=true"));
    if (archive()) {
      cmd.add("-XX:SharedArchiveFile=app-cds.jsa");
    }
    cmd.addAll(serverJavaOpts);
    cmd.addAll(List.of("-jar", app.getFileName().toString()));
    return cmd;
  }

  private boolean archive() {
    return appCds && Files.isRegularFile(app.toAbsolutePath().resolveSibling("app-cds.jsa"));
  }

  private static final java.util.regex.Pattern BOOT_MARK =
      java.util.regex.Pattern.compile("boot t\\+(\\d+) ms: (.*)$");

  /**
   * Where the time to the first answer went: the server's own marks ({@code boot t+N ms: phase},
   * milliseconds since its process started, from the log) with the driver's port-open and first-200
   * times, in order.
   */
  private static ObjectNode timeline(Path log, double listen, double first) throws IOException {
    Map<String, Double> marks = new LinkedHashMap<>();
    for (String line : Files.readAllLines(log)) {
      java.util.regex.Matcher m = BOOT_MARK.matcher(line);
      if (m.find()) {
        marks.put(m.group(2).replaceAll(" in \\d+ ms$", ""), Double.parseDouble(m.group(1)));
      }
    }
    marks.put("port open (driver)", listen);
    marks.put("first 200 (driver)", first);
    ObjectNode t = JSON.createObjectNode();
    marks.entrySet().stream()
        .sorted(Map.Entry.comparingByValue())
        .forEach(e -> t.put(e.getKey(), e.getValue()));
    return t;
  }

  private long waitForPort(Process p, int port, long t0, Path log) throws Exception {
    while (true) {
      if (!p.isAlive()) {
        // Say why: the log's error lines (not its stack frames) name the cause.
        List<String> why =
            Files.readAllLines(log).stream()
                .filter(l -> l.contains("ERROR") || l.startsWith("Caused by"))
                .limit(6)
                .toList();
        throw new IllegalStateException(
            "server exited with "
                + p.exitValue()
                + " before listening (log: "
                + log
                + "):\n  "
                + String.join("\n  ", why));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return System.nanoTime();
      } catch (ConnectException e) {
        if (System.nanoTime() - t0 > TimeUnit.SECONDS.toNanos(120)) {
          throw new IllegalStateException("server did not listen on " + port + " within 120 s");
        }
        Thread.sleep(2);
      }
    }
  }

  private HttpResponse<String> post(int port, String body) throws Exception {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/embeddings"))
            .timeout(Duration.ofSeconds(90))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    return http.send(req, HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(int port, String path) throws Exception {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(30))
            .GET()
            .build();
    return http.send(req, HttpResponse.BodyHandlers.ofString());
  }

  private S3Proxy startS3Proxy(Path dir) throws Exception {
    Files.createDirectories(dir);
    blobs = new Counting(new FilesystemNio2BlobStore(dir.toAbsolutePath().toString()));
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(blobs)
            .endpoint(URI.create("http://127.0.0.1:0"))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            .build();
    proxy.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!"STARTED".equals(proxy.getState())) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
      }
      Thread.sleep(5);
    }
    endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
    blobs.delegate().createContainer(BUCKET);
    return proxy;
  }

  /**
   * Counts GETs and the body bytes S3Proxy hands out: the server-side view of "bytes downloaded".
   */
  private static final class Counting extends ForwardingBlobStore {
    final AtomicLong served = new AtomicLong();
    final AtomicLong gets = new AtomicLong();

    Counting(BlobStore delegate) {
      super(delegate);
    }

    void reset() {
      served.set(0);
      gets.set(0);
    }

    @Override
    public ResponseInputStream<GetObjectResponse> getBlob(GetObjectRequest req) {
      gets.incrementAndGet();
      ResponseInputStream<GetObjectResponse> in = super.getBlob(req);
      return new ResponseInputStream<>(
          in.response(),
          new FilterInputStream(in) {
            @Override
            public int read() throws IOException {
              int b = super.read();
              if (b >= 0) {
                served.incrementAndGet();
              }
              return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
              int n = super.read(b, off, len);
              if (n > 0) {
                served.addAndGet(n);
              }
              return n;
            }
          });
    }
  }

  static long procStatusKb(long pid, String field) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith(field + ":")) {
        return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
      }
    }
    throw new IOException(field + " not in /proc/" + pid + "/status");
  }

  private static double ms(long nanos) {
    return Math.round(nanos / 1e5) / 10.0;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (var s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(x);
      }
    }
  }
}
