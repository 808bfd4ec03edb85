package io.maaskit.functions.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.maaskit.functions.ErrorMapper;
import io.maaskit.model.error.InvalidRequestException;
import io.maaskit.model.error.RequestCancelledException;
import io.maaskit.model.task.Admission;
import io.maaskit.model.task.Cancellation;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * The Batches API and its execution: a batch's life from {@code validating} through {@code
 * in_progress} and {@code finalizing} to {@code completed} (or {@code failed}, {@code expired},
 * {@code cancelled}), kept in a {@link BatchStore} so that any process can pick up any step.
 *
 * <p>The work is three kinds of step, each safe to run twice and on any machine:
 *
 * <ul>
 *   <li>{@link #validate}: reads the input file once, checks every line and splits the requests
 *       into chunk objects ({@code batches/<id>/chunks/c000012.jsonl}), then hands the chunks to
 *       the {@link Dispatch} (one SQS message each, or the server's own background pool).
 *   <li>{@link #runChunk}: runs a chunk's requests through the same services as the HTTP routes and
 *       writes their answers as one object, created only if absent, so a redelivered or twice-run
 *       chunk never adds a second copy of a line. A chunk of a cancelled or expired batch is marked
 *       skipped instead. A chunk stopped half-way (its worker's deadline, or the worker's death)
 *       writes nothing and runs again on redelivery.
 *   <li>the finalizer, run by whichever step resolves the last chunk: assembles the output and
 *       error files in input order and records the final status and counts.
 * </ul>
 *
 * Every state change is a conditional write of {@code batches/<id>/state.json}.
 */
public final class Batches {
  private static final Logger LOG = Logger.getLogger(Batches.class);
  private static final Pattern ID = Pattern.compile("batch_[0-9a-f]{24}");
  private static final Pattern RESULT = Pattern.compile(".*/results/c(\\d{6})\\.jsonl");
  private static final Pattern SKIPPED = Pattern.compile(".*/skipped/c(\\d{6})");
  private static final Pattern COUNTS = Pattern.compile(".*/counts/c(\\d{6})\\.o(\\d+)\\.f(\\d+)");
  private static final int MAX_RETRIES = 60;

  /** Where the steps of a batch are sent to run. */
  public interface Dispatch {
    /** Runs {@link #validate} for the batch, somewhere, at least once. */
    void validate(String batchId);

    /** Runs {@link #runChunk} for each chunk, somewhere, at least once. */
    void chunks(String batchId, List<Integer> chunks);
  }

  /** The stored state: the OpenAI object and the chunking behind it. */
  public record State(BatchObject batch, int chunks, int chunkLines) {}

  private final BatchStore store;
  private final BatchFiles files;
  private final BatchEndpoints endpoints;
  private final ObjectMapper json;
  private final Clock clock;
  private final int chunkLines;
  private final Duration window;
  private final Admission admission;
  private final java.util.concurrent.atomic.AtomicInteger running =
      new java.util.concurrent.atomic.AtomicInteger();
  private volatile Dispatch dispatch;

  /**
   * @param chunkLines requests per chunk (one queue message each)
   * @param window how long a batch has from its creation ({@code completion_window} "24h")
   * @param admission the process's admission control: while online requests hold every slot, a
   *     batch request waits a little before it asks for one
   */
  public Batches(
      BatchStore store,
      BatchFiles files,
      BatchEndpoints endpoints,
      ObjectMapper json,
      Clock clock,
      int chunkLines,
      Duration window,
      Admission admission) {
    if (chunkLines < 1) {
      throw new IllegalArgumentException("chunk lines must be 1 or more, got " + chunkLines);
    }
    if (window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("the completion window must be positive, got " + window);
    }
    this.window = window;
    this.store = store;
    this.files = files;
    this.endpoints = endpoints;
    this.json = json;
    this.clock = clock;
    this.chunkLines = chunkLines;
    this.admission = admission;
  }

  /** Sets where steps go (set once at wiring: the dispatch may need this service itself). */
  public void dispatchTo(Dispatch dispatch) {
    this.dispatch = dispatch;
  }

  static String stateKey(String id) {
    return "batches/" + id + "/state.json";
  }

  static String chunkKey(String id, int k) {
    return String.format("batches/%s/chunks/c%06d.jsonl", id, k);
  }

  static String resultKey(String id, int k) {
    return String.format("batches/%s/results/c%06d.jsonl", id, k);
  }

  static String skipKey(String id, int k) {
    return String.format("batches/%s/skipped/c%06d", id, k);
  }

  static String countsKey(String id, int k, int ok, int failed) {
    return String.format("batches/%s/counts/c%06d.o%d.f%d", id, k, ok, failed);
  }

  private long now() {
    return clock.millis() / 1000;
  }

  // ---------------------------------------------------------------- API

  /** {@code POST /v1/batches}. */
  public BatchObject create(JsonNode body) {
    if (body == null || !body.isObject()) {
      throw new InvalidRequestException("the body must be a JSON object");
    }
    String fileId = text(body, "input_file_id", true);
    String endpoint = text(body, "endpoint", true);
    String window = text(body, "completion_window", true);
    if (!BatchEndpoints.URLS.contains(endpoint)) {
      throw new InvalidRequestException(
          "'endpoint' must be one of "
              + String.join(", ", BatchEndpoints.URLS)
              + ", not '"
              + endpoint
              + "'");
    }
    if (!window.equals("24h")) {
      throw new InvalidRequestException("'completion_window' must be '24h', not '" + window + "'");
    }
    Map<String, String> metadata = metadata(body.get("metadata"));
    FileObject file;
    try {
      file = files.get(fileId);
    } catch (BatchNotFoundException e) {
      throw new InvalidRequestException("'input_file_id': no file '" + fileId + "'");
    }
    if (!"batch".equals(file.purpose())) {
      throw new InvalidRequestException(
          "'input_file_id': file '"
              + fileId
              + "' has purpose '"
              + file.purpose()
              + "'; a batch needs one uploaded with purpose 'batch'");
    }
    BatchObject b = new BatchObject();
    b.id = BatchFiles.newId("batch").replace('-', '_');
    b.endpoint = endpoint;
    b.inputFileId = fileId;
    b.completionWindow = window;
    b.status = "validating";
    b.createdAt = now();
    b.expiresAt = b.createdAt + Math.max(1, this.window.toSeconds());
    b.requestCounts = new BatchObject.Counts(0, 0, 0);
    b.metadata = metadata;
    try {
      if (!store.create(stateKey(b.id), json.writeValueAsBytes(new State(b, 0, chunkLines)))) {
        throw new IllegalStateException("batch id collision: " + b.id);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    dispatch.validate(b.id);
    return b;
  }

  private static String text(JsonNode body, String field, boolean required) {
    JsonNode n = body.get(field);
    if (n == null || n.isNull()) {
      if (required) {
        throw new InvalidRequestException("'" + field + "' is required");
      }
      return null;
    }
    if (!n.isTextual() || n.asText().isBlank()) {
      throw new InvalidRequestException("'" + field + "' must be a non-empty string");
    }
    return n.asText();
  }

  private static Map<String, String> metadata(JsonNode m) {
    if (m == null || m.isNull()) {
      return null;
    }
    if (!m.isObject() || m.size() > 16) {
      throw new InvalidRequestException("'metadata' must be an object of at most 16 strings");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (var it = m.fields(); it.hasNext(); ) {
      var e = it.next();
      if (e.getKey().length() > 64
          || !e.getValue().isTextual()
          || e.getValue().asText().length() > 512) {
        throw new InvalidRequestException(
            "'metadata': keys are at most 64 characters and values strings of at most 512");
      }
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }

  /** {@code GET /v1/batches/{id}}, with the counts of the chunks done so far while it runs. */
  public BatchObject get(String id) {
    State s = load(id).state;
    BatchObject b = s.batch;
    if (!b.terminal() && s.chunks > 0) {
      int ok = 0;
      int failed = 0;
      for (String key : list("batches/" + id + "/counts/")) {
        Matcher m = COUNTS.matcher(key);
        if (m.matches()) {
          ok += Integer.parseInt(m.group(2));
          failed += Integer.parseInt(m.group(3));
        }
      }
      b.requestCounts = new BatchObject.Counts(b.requestCounts.total(), ok, failed);
    }
    return b;
  }

  /** {@code GET /v1/batches}: newest first. */
  public BatchObject.Page list(int limit, String after) {
    if (limit < 1 || limit > 100) {
      throw new InvalidRequestException("'limit' must be 1 to 100, got " + limit);
    }
    List<BatchObject> all = new ArrayList<>();
    for (String key : list("batches/")) {
      if (key.endsWith("/state.json")) {
        all.add(get(key.substring("batches/".length(), key.length() - "/state.json".length())));
      }
    }
    all.sort(Comparator.comparing((BatchObject b) -> -b.createdAt).thenComparing(b -> b.id));
    int from = 0;
    for (int i = 0; after != null && i < all.size(); i++) {
      if (all.get(i).id.equals(after)) {
        from = i + 1;
      }
    }
    List<BatchObject> page = List.copyOf(all.subList(from, Math.min(all.size(), from + limit)));
    return new BatchObject.Page(
        "list",
        page,
        page.isEmpty() ? null : page.get(0).id,
        page.isEmpty() ? null : page.get(page.size() - 1).id,
        from + limit < all.size());
  }

  /**
   * {@code POST /v1/batches/{id}/cancel}: {@code cancelling} at once; chunks not started are
   * skipped, running ones finish, and the batch ends {@code cancelled} with what was answered.
   */
  public BatchObject cancel(String id) {
    State s =
        update(
            id,
            st -> {
              String status = st.batch.status;
              if (status.equals("validating") || status.equals("in_progress")) {
                st.batch.status = "cancelling";
                st.batch.cancellingAt = now();
                return st;
              }
              if (status.equals("cancelling") || status.equals("cancelled")) {
                return null;
              }
              throw new InvalidRequestException(
                  "batch " + id + " is " + status + " and can no longer be cancelled");
            });
    if (s.chunks > 0) {
      finalizeIfDone(id);
    }
    return get(id);
  }

  /** The batches with work left, for a dispatcher that resumes after a restart. */
  public void resume() {
    for (String key : list("batches/")) {
      if (!key.endsWith("/state.json")) {
        continue;
      }
      String id = key.substring("batches/".length(), key.length() - "/state.json".length());
      State s = load(id).state;
      switch (s.batch.status) {
        case "validating" -> dispatch.validate(id);
        case "in_progress", "cancelling", "finalizing" -> {
          List<Integer> open = unresolved(id, s.chunks);
          if (open.isEmpty()) {
            finalizeIfDone(id);
          } else {
            dispatch.chunks(id, open);
          }
        }
        default -> {}
      }
    }
  }

  // ---------------------------------------------------------------- steps

  /** Validates the input file and splits it into chunks; then dispatches them. */
  public void validate(String id) {
    State s = load(id).state;
    if (!s.batch.status.equals("validating")) {
      if (!s.batch.terminal() && s.chunks > 0) {
        // A redelivered validation (its worker died after the split): dispatch what is left.
        List<Integer> open = unresolved(id, s.chunks);
        if (!open.isEmpty()) {
          dispatch.chunks(id, open);
        }
      }
      return;
    }
    int total = 0;
    int chunk = 0;
    int inChunk = 0;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    Map<String, Integer> seen = new HashMap<>();
    try (InputStream in = files.content(s.batch.inputFileId);
        BufferedReader r =
            new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16)) {
      String line;
      int n = 0;
      while ((line = r.readLine()) != null) {
        n++;
        if (line.isBlank()) {
          continue;
        }
        total++;
        buf.write(json.writeValueAsBytes(entry(line, n, s.batch.endpoint, seen)));
        buf.write('\n');
        if (++inChunk == s.chunkLines) {
          store.put(chunkKey(id, chunk++), buf.toByteArray());
          buf.reset();
          inChunk = 0;
        }
      }
      if (inChunk > 0) {
        store.put(chunkKey(id, chunk++), buf.toByteArray());
      }
    } catch (BatchNotFoundException e) {
      fail(id, "input_file_missing", "the input file " + s.batch.inputFileId + " was deleted");
      return;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (total == 0) {
      fail(id, "empty_file", "the input file holds no requests");
      return;
    }
    int chunks = chunk;
    int requests = total;
    State after =
        update(
            id,
            st -> {
              if (st.chunks > 0) {
                return null;
              }
              if (st.batch.status.equals("validating")) {
                st.batch.status = "in_progress";
                st.batch.inProgressAt = now();
              }
              st.batch.requestCounts = new BatchObject.Counts(requests, 0, 0);
              return new State(st.batch, chunks, st.chunkLines);
            });
    LOG.infof("batch %s: %d requests in %d chunks, %s", id, requests, chunks, after.batch.status);
    List<Integer> all = new ArrayList<>(chunks);
    for (int k = 0; k < chunks; k++) {
      all.add(k);
    }
    dispatch.chunks(id, all);
  }

  /** One request line as a chunk entry: the request, or the reason it cannot run. */
  private ObjectNode entry(String line, int n, String endpoint, Map<String, Integer> seen) {
    ObjectNode e = json.createObjectNode().put("n", n);
    JsonNode req;
    try {
      req = json.readTree(line);
    } catch (IOException ex) {
      return error(e, "invalid_json", "line " + n + " is not valid JSON");
    }
    if (req == null || !req.isObject()) {
      return error(e, "invalid_json", "line " + n + " is not a JSON object");
    }
    JsonNode cid = req.get("custom_id");
    if (cid == null || !cid.isTextual() || cid.asText().isEmpty()) {
      return error(e, "missing_custom_id", "line " + n + " has no 'custom_id' string");
    }
    e.put("custom_id", cid.asText());
    Integer first = seen.putIfAbsent(cid.asText(), n);
    if (first != null) {
      return error(
          e,
          "duplicate_custom_id",
          "custom_id '" + cid.asText() + "' on line " + n + " was already used on line " + first);
    }
    JsonNode method = req.get("method");
    if (method != null && !method.asText().equals("POST")) {
      return error(e, "invalid_method", "'method' must be POST, not '" + method.asText() + "'");
    }
    String url = req.path("url").asText("");
    if (!url.equals(endpoint)) {
      return error(
          e, "invalid_url", "'url' '" + url + "' is not this batch's endpoint '" + endpoint + "'");
    }
    JsonNode body = req.get("body");
    if (body == null || !body.isObject()) {
      return error(e, "invalid_body", "'body' must be a JSON object");
    }
    e.set("body", body);
    return e;
  }

  private static ObjectNode error(ObjectNode e, String code, String message) {
    e.putObject("error").put("code", code).put("message", message);
    return e;
  }

  /**
   * Runs one chunk, unless it already has a result; a chunk of a cancelled or expired batch is
   * marked skipped. Stops when {@code cancellation} trips, writing nothing.
   *
   * @throws RequestCancelledException when stopped half-way (the chunk must run again)
   */
  public void runChunk(String id, int k, Cancellation cancellation) {
    if (resolved(id, k)) {
      finalizeIfDone(id);
      return;
    }
    State s = load(id).state;
    if (s.batch.terminal()) {
      return;
    }
    boolean cancelled = s.batch.status.equals("cancelling");
    if (cancelled || now() >= s.batch.expiresAt) {
      create(
          skipKey(id, k), (cancelled ? "cancelled" : "expired").getBytes(StandardCharsets.UTF_8));
      finalizeIfDone(id);
      return;
    }
    byte[] input = read(chunkKey(id, k));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int ok = 0;
    int failed = 0;
    String hex = id.substring("batch_".length());
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(
                new java.io.ByteArrayInputStream(input), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        JsonNode e = json.readTree(line);
        int n = e.get("n").asInt();
        ObjectNode result = json.createObjectNode();
        result.put("id", "batch_req_" + hex + "_" + n);
        result.set("custom_id", e.get("custom_id"));
        boolean good;
        if (e.has("error")) {
          result.putNull("response");
          ObjectNode err = e.get("error").deepCopy();
          result.set("error", err.put("line", n));
          good = false;
        } else {
          ErrorMapper.Mapped m = call(s.batch.endpoint, e.get("body"), cancellation, result);
          good = m == null;
          if (!good) {
            result
                .putObject("error")
                .put("code", m.body().error().type())
                .put("message", m.body().error().message())
                .put("line", n);
          } else {
            result.putNull("error");
          }
        }
        ok += good ? 1 : 0;
        failed += good ? 0 : 1;
        out.write(
            json.createObjectNode()
                .put("ok", good)
                .set("line", result)
                .toString()
                .getBytes(StandardCharsets.UTF_8));
        out.write('\n');
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (create(resultKey(id, k), out.toByteArray())) {
      create(countsKey(id, k, ok, failed), new byte[0]);
    }
    finalizeIfDone(id);
  }

  /**
   * Runs one request; sets {@code response} on {@code result}, and returns null on a 2xx or the
   * mapped error. Refusals for capacity (503) wait and retry; the caller's cancellation stops.
   */
  private ErrorMapper.Mapped call(
      String url, JsonNode body, Cancellation cancellation, ObjectNode result) {
    for (int attempt = 0; ; attempt++) {
      stopIfCancelled(cancellation);
      for (int i = 0; i < 100 && onlineFillsAdmission(); i++) {
        pause(10); // online requests hold every slot: let them go first
      }
      ErrorMapper.Mapped m;
      Object answer;
      running.incrementAndGet();
      try {
        answer = endpoints.run(url, body, cancellation);
        ObjectNode resp = result.putObject("response");
        resp.put("status_code", 200);
        resp.put("request_id", result.get("id").asText());
        resp.set("body", json.valueToTree(answer));
        return null;
      } catch (RequestCancelledException e) {
        stopIfCancelled(cancellation);
        m = ErrorMapper.map(e);
      } catch (RuntimeException e) {
        m = ErrorMapper.map(e);
      } finally {
        running.decrementAndGet();
      }
      if (m.status() == 503 && attempt < MAX_RETRIES) {
        long secs = m.retryAfterSeconds() == null ? 1 : m.retryAfterSeconds();
        pause(Math.min(1000, secs * 1000));
        continue;
      }
      ObjectNode resp = result.putObject("response");
      resp.put("status_code", m.status());
      resp.put("request_id", result.get("id").asText());
      resp.set("body", json.valueToTree(m.body()));
      return m;
    }
  }

  /** Whether requests other than this process's batch requests hold every admission slot. */
  private boolean onlineFillsAdmission() {
    return admission.inside() - running.get() >= admission.options().maxConcurrentBatches();
  }

  private static void stopIfCancelled(Cancellation c) {
    String why = c.reason();
    if (why != null) {
      throw new RequestCancelledException("the chunk stopped half-way: " + why);
    }
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RequestCancelledException("interrupted");
    }
  }

  // ---------------------------------------------------------------- finalizer

  private List<Integer> unresolved(String id, int chunks) {
    TreeSet<Integer> done = done(id);
    List<Integer> open = new ArrayList<>();
    for (int k = 0; k < chunks; k++) {
      if (!done.contains(k)) {
        open.add(k);
      }
    }
    return open;
  }

  private TreeSet<Integer> done(String id) {
    TreeSet<Integer> done = new TreeSet<>();
    for (String key : list("batches/" + id + "/")) {
      Matcher r = RESULT.matcher(key);
      Matcher sk = SKIPPED.matcher(key);
      if (r.matches()) {
        done.add(Integer.parseInt(r.group(1)));
      } else if (sk.matches()) {
        done.add(Integer.parseInt(sk.group(1)));
      }
    }
    return done;
  }

  private boolean resolved(String id, int k) {
    return !list(resultKey(id, k)).isEmpty() || !list(skipKey(id, k)).isEmpty();
  }

  /**
   * When every chunk has a result or a skip mark: writes the output and error files (input order)
   * and the final status. Safe to run concurrently: the files' ids and bytes are the same whoever
   * writes them, and the state changes once.
   */
  void finalizeIfDone(String id) {
    State s = load(id).state;
    if (s.batch.terminal() || s.chunks == 0) {
      return;
    }
    if (done(id).size() < s.chunks) {
      return;
    }
    if (s.batch.status.equals("in_progress")) {
      update(
          id,
          st -> {
            if (!st.batch.status.equals("in_progress")) {
              return null;
            }
            st.batch.status = "finalizing";
            st.batch.finalizingAt = now();
            return st;
          });
    }
    String hex = id.substring("batch_".length());
    String outId = "file-" + hex + "-output";
    String errId = "file-" + hex + "-errors";
    int[] counts = new int[2];
    boolean skipped = false;
    Path outFile = null;
    Path errFile = null;
    try {
      outFile = Files.createTempFile("maas-batch-", ".jsonl");
      errFile = Files.createTempFile("maas-batch-", ".jsonl");
      try (OutputStream out = Files.newOutputStream(outFile);
          OutputStream err = Files.newOutputStream(errFile)) {
        for (int k = 0; k < s.chunks; k++) {
          InputStream in = store.open(resultKey(id, k));
          if (in == null) {
            skipped = true;
            continue;
          }
          try (BufferedReader r =
              new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
              JsonNode n = json.readTree(line);
              boolean good = n.get("ok").asBoolean();
              counts[good ? 0 : 1]++;
              (good ? out : err).write(json.writeValueAsBytes(n.get("line")));
              (good ? out : err).write('\n');
            }
          }
        }
      }
      if (counts[0] > 0) {
        files.store(
            FileObject.of(outId, Files.size(outFile), now(), id + "_output.jsonl", "batch_output"),
            outFile);
      }
      if (counts[1] > 0) {
        files.store(
            FileObject.of(errId, Files.size(errFile), now(), id + "_errors.jsonl", "batch_output"),
            errFile);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      deleteQuietly(outFile);
      deleteQuietly(errFile);
    }
    boolean anySkipped = skipped;
    State done =
        update(
            id,
            st -> {
              if (st.batch.terminal()) {
                return null;
              }
              long t = now();
              if (st.batch.status.equals("cancelling")) {
                st.batch.status = "cancelled";
                st.batch.cancelledAt = t;
              } else if (anySkipped) {
                st.batch.status = "expired";
                st.batch.expiredAt = t;
              } else {
                st.batch.status = "completed";
                st.batch.completedAt = t;
              }
              st.batch.outputFileId = counts[0] > 0 ? outId : null;
              st.batch.errorFileId = counts[1] > 0 ? errId : null;
              st.batch.requestCounts =
                  new BatchObject.Counts(st.batch.requestCounts.total(), counts[0], counts[1]);
              return st;
            });
    LOG.infof(
        "batch %s %s: %d answered, %d failed",
        id,
        done.batch.status,
        done.batch.requestCounts.completed(),
        done.batch.requestCounts.failed());
  }

  private void fail(String id, String code, String message) {
    update(
        id,
        st -> {
          if (st.batch.terminal()) {
            return null;
          }
          st.batch.status = "failed";
          st.batch.failedAt = now();
          st.batch.errors =
              BatchObject.Errors.of(List.of(new BatchObject.Error(code, message, null, null)));
          return st;
        });
  }

  private static void deleteQuietly(Path p) {
    if (p != null) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException e) {
        // a temporary file
      }
    }
  }

  // ---------------------------------------------------------------- state

  private record Loaded(State state, String version) {}

  private Loaded load(String id) {
    if (id == null || !ID.matcher(id).matches()) {
      throw new BatchNotFoundException("no batch '" + id + "'");
    }
    try {
      BatchStore.Stored s = store.get(stateKey(id));
      if (s == null) {
        throw new BatchNotFoundException("no batch '" + id + "'");
      }
      return new Loaded(json.readValue(s.data(), State.class), s.version());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Applies a change to the stored state with a conditional write, again on a lost race; the change
   * returns null for "nothing to do". Returns the state as it is afterwards.
   */
  private State update(String id, UnaryOperator<State> change) {
    for (int i = 0; i < 50; i++) {
      Loaded l = load(id);
      State next = change.apply(l.state);
      if (next == null) {
        return load(id).state;
      }
      try {
        if (store.replace(stateKey(id), json.writeValueAsBytes(next), l.version)) {
          return next;
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    throw new IllegalStateException("batch " + id + ": state kept changing under 50 updates");
  }

  private List<String> list(String prefix) {
    try {
      return store.list(prefix);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private byte[] read(String key) {
    try {
      BatchStore.Stored s = store.get(key);
      if (s == null) {
        throw new IllegalStateException("missing " + key);
      }
      return s.data();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private boolean create(String key, byte[] data) {
    try {
      return store.create(key, data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
