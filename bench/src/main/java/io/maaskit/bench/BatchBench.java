package io.maaskit.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * Batch throughput: lines/s of one embeddings batch (the OpenAI Batch API) run by 1, 2 and 4 queue
 * worker processes, against the same requests sent one at a time over HTTP to the server, in the
 * same run. S3Proxy (the batch store) and ElasticMQ (the steps' queue) run in this process; the
 * server and each worker are {@code java -jar quarkus-run.jar} as {@code scripts/serve} starts it:
 * the server with {@code MAAS_BATCH_QUEUE_URL} (it sends steps, runs none), the workers with {@code
 * MAAS_QUEUE_URL} on that queue (one receiver each).
 *
 * <pre>
 * BatchBench --app functions/http/target/quarkus-app/quarkus-run.jar --store STORE --model NAME
 *            --lines 10000 --workers 1,2,4 --threads 2 --work DIR --out batch.json
 * </pre>
 */
public final class BatchBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String BUCKET = "bench";
  private static final String KEY = "bench-access";
  private static final String SECRET = "bench-secret";
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  private final Map<String, String> opts = new LinkedHashMap<>();
  private final List<Process> processes = new ArrayList<>();
  private URI s3;
  private URI sqs;
  private String queueUrl;
  private Path work;

  public static void main(String[] args) throws Exception {
    BatchBench b = new BatchBench();
    for (int i = 0; i + 1 < args.length; i += 2) {
      b.opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    try {
      b.run();
    } finally {
      b.processes.forEach(Process::destroy);
    }
    System.exit(0); // ElasticMQ's actor system keeps non-daemon threads
  }

  private String opt(String name, String dflt) {
    String v = opts.getOrDefault(name, dflt);
    if (v == null) {
      throw new IllegalArgumentException("--" + name + " is required");
    }
    return v;
  }

  private void run() throws Exception {
    int lines = Integer.parseInt(opt("lines", "10000"));
    String model = opt("model", null);
    work = Path.of(opt("work", "bench/work/batch")).toAbsolutePath();
    ColdStart.deleteRecursively(work);
    Files.createDirectories(work.resolve("logs"));
    startS3Proxy(work.resolve("s3"));
    SQSRestServer mq =
        SQSRestServerBuilder.withInterface("127.0.0.1")
            .withDynamicPort()
            .withAWSRegion("us-east-1")
            .start();
    sqs = URI.create("http://127.0.0.1:" + mq.waitUntilStarted().localAddress().getPort());
    queueUrl = createQueue("batch-steps");

    List<String> texts = new ArrayList<>(lines);
    StringBuilder file = new StringBuilder();
    List<String> corpus = Corpus.batch(Corpus.MAX_BATCH);
    for (int i = 0; i < lines; i++) {
      // distinct lines: the corpus's texts, numbered
      String t = corpus.get(i % corpus.size()) + " (" + i + ")";
      texts.add(t);
      file.append(
          JSON.writeValueAsString(
              Map.of(
                  "custom_id",
                  "b" + i,
                  "method",
                  "POST",
                  "url",
                  "/v1/embeddings",
                  "body",
                  Map.of("model", model, "input", t))));
      file.append('\n');
    }
    int port = start("server", Map.of("MAAS_BATCH_QUEUE_URL", queueUrl));
    post(port, "/v1/embeddings", Map.of("model", model, "input", "warm up"));

    ObjectNode out = JSON.createObjectNode();
    out.put("lines", lines).put("model", model).put("threads", opt("threads", "2"));
    long t0 = System.nanoTime();
    for (String t : texts) {
      post(port, "/v1/embeddings", Map.of("model", model, "input", t));
    }
    double online = lines / ((System.nanoTime() - t0) / 1e9);
    out.putObject("one_at_a_time")
        .put("lines_per_s", round(online))
        .put("how", "POST /v1/embeddings, one input per request, one request at a time");
    System.err.printf(Locale.ROOT, "[batch] one at a time: %.1f lines/s%n", online);

    ArrayNode runs = out.putArray("batch");
    for (String w : opt("workers", "1,2,4").split(",")) {
      int workers = Integer.parseInt(w.trim());
      List<Process> started = new ArrayList<>();
      for (int i = 0; i < workers; i++) {
        int wp =
            start(
                "worker-" + workers + "-" + i,
                Map.of(
                    "MAAS_QUEUE_URL",
                    queueUrl,
                    "MAAS_BATCH_QUEUE_URL",
                    queueUrl,
                    "MAAS_QUEUE_CONCURRENCY",
                    "1",
                    "MAAS_QUEUE_WAIT_SECONDS",
                    "1",
                    "MAAS_RESULTS_URI",
                    "s3://" + BUCKET + "/step-results/"));
        post(wp, "/v1/embeddings", Map.of("model", model, "input", "warm up"));
        started.add(processes.get(processes.size() - 1));
      }
      JsonNode f = upload(port, file.toString());
      long b0 = System.nanoTime();
      JsonNode batch =
          post(
              port,
              "/v1/batches",
              Map.of(
                  "input_file_id", f.get("id").asText(),
                  "endpoint", "/v1/embeddings",
                  "completion_window", "24h"));
      String id = batch.get("id").asText();
      while (!Set.of("completed", "failed", "expired", "cancelled")
          .contains(batch.get("status").asText())) {
        Thread.sleep(100);
        batch = get(port, "/v1/batches/" + id);
      }
      double secs = (System.nanoTime() - b0) / 1e9;
      if (!batch.get("status").asText().equals("completed")
          || batch.at("/request_counts/completed").asInt() != lines) {
        throw new IllegalStateException("the batch did not complete every line: " + batch);
      }
      checkOutput(port, batch.get("output_file_id").asText(), lines);
      double rate = lines / secs;
      runs.addObject()
          .put("workers", workers)
          .put("seconds", round(secs))
          .put("lines_per_s", round(rate))
          .put("vs_one_at_a_time", round(rate / online));
      System.err.printf(Locale.ROOT, "[batch] %d workers: %.1f lines/s%n", workers, rate);
      for (Process p : started) {
        p.destroy();
        p.waitFor(30, TimeUnit.SECONDS);
        processes.remove(p);
      }
    }
    out.put(
        "how",
        "one embeddings batch (the OpenAI Batch API, chunks of 100 lines) through N queue worker"
            + " processes (java -jar quarkus-run.jar, one receiver each; S3Proxy store, ElasticMQ"
            + " queue), timed from POST /v1/batches to status completed; against the same lines"
            + " sent one at a time to POST /v1/embeddings; same run, same machine");
    Files.writeString(
        Path.of(opt("out", work.resolve("batch.json").toString())),
        JSON.writerWithDefaultPrettyPrinter().writeValueAsString(out));
  }

  /** Starts the app with the bench's store, queue and model; returns its port once it answers. */
  private int start(String name, Map<String, String> extra) throws Exception {
    int port = ColdStart.freePort();
    ProcessBuilder pb =
        new ProcessBuilder(
            ColdStart.javaBin(), "-Xmx1g", "-jar", Path.of(opt("app", null)).toString());
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("AWS_") || k.startsWith("MAAS_") || k.equals("PORT"));
    env.put("PORT", Integer.toString(port));
    env.put("MAAS_MODEL_STORE", Path.of(opt("store", null)).toAbsolutePath().toString());
    env.put("MAAS_DEFAULT_MODEL", opt("model", null));
    env.put("MAAS_THREADS", opt("threads", "2"));
    env.put("MAAS_CACHE_DIR", work.resolve("cache-" + name).toString());
    env.put("MAAS_BATCH_STORE", "s3://" + BUCKET + "/batches/");
    env.put("MAAS_SQS_ENDPOINT", sqs.toString());
    env.put("AWS_ENDPOINT_URL_S3", s3.toString());
    env.put("AWS_ACCESS_KEY_ID", KEY);
    env.put("AWS_SECRET_ACCESS_KEY", SECRET);
    env.put("AWS_REGION", "us-east-1");
    env.put("AWS_EC2_METADATA_DISABLED", "true");
    env.putAll(extra);
    pb.redirectErrorStream(true)
        .redirectOutput(work.resolve("logs").resolve(name + ".log").toFile());
    Process p = pb.start();
    processes.add(p);
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IllegalStateException(name + " exited; see " + work.resolve("logs"));
      }
      try {
        if (HTTP.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/info"))
                        .build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode()
            == 200) {
          return port;
        }
      } catch (java.io.IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException(name + " did not answer in 3 minutes");
  }

  private static JsonNode send(HttpRequest req) throws Exception {
    HttpResponse<String> r = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException(req.uri() + " -> " + r.statusCode() + " " + r.body());
    }
    return JSON.readTree(r.body());
  }

  private static JsonNode post(int port, String path, Object body) throws Exception {
    return send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
            .build());
  }

  private static JsonNode get(int port, String path) throws Exception {
    return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build());
  }

  private static JsonNode upload(int port, String jsonl) throws Exception {
    String boundary = "maaskit-bench-" + System.nanoTime();
    String form =
        "--"
            + boundary
            + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--"
            + boundary
            + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bench.jsonl\"\r\n"
            + "Content-Type: application/jsonl\r\n\r\n"
            + jsonl
            + "\r\n--"
            + boundary
            + "--\r\n";
    return send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/files"))
            .header("Content-Type", "multipart/form-data; boundary=" + boundary)
            .POST(HttpRequest.BodyPublishers.ofString(form, StandardCharsets.UTF_8))
            .build());
  }

  /** Every line answered once, in input order: a bench of a broken batch would mean nothing. */
  private static void checkOutput(int port, String fileId, int lines) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/v1/files/" + fileId + "/content"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    String[] out = r.body().strip().split("\n");
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < out.length; i++) {
      String id = JSON.readTree(out[i]).get("custom_id").asText();
      if (!id.equals("b" + i) || !seen.add(id)) {
        throw new IllegalStateException("output line " + i + " is " + id);
      }
    }
    if (out.length != lines) {
      throw new IllegalStateException(out.length + " output lines for " + lines);
    }
  }

  private String createQueue(String name) {
    try (SqsClient client =
        SqsClient.builder()
            .endpointOverride(sqs)
            .region(Region.US_EAST_1)
            .credentialsProvider(
                StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "x")))
            .httpClientBuilder(ApacheHttpClient.builder())
            .build()) {
      Map<QueueAttributeName, String> attributes =
          Map.of(QueueAttributeName.VISIBILITY_TIMEOUT, "120");
      return client.createQueue(b -> b.queueName(name).attributes(attributes)).queueUrl();
    }
  }

  private void startS3Proxy(Path dir) throws Exception {
    Files.createDirectories(dir);
    FilesystemNio2BlobStore blobs = new FilesystemNio2BlobStore(dir.toAbsolutePath().toString());
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(blobs)
            .endpoint(URI.create("http://127.0.0.1:0"))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, KEY, SECRET)
            .build();
    proxy.start();
    while (!"STARTED".equals(proxy.getState())) {
      Thread.sleep(5);
    }
    s3 = URI.create("http://127.0.0.1:" + proxy.getPort());
    blobs.createContainer(BUCKET);
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }
}
