package io.maaskit.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Load and abuse harness against a running {@code scripts/serve} (loopback only, bounded in time):
 * a mixed load of small requests and 256-input batches, abandoned batches, unknown versions and a
 * 10 MB input; prints what the server did (statuses, latencies, RSS and CPU from {@code /proc}).
 * JDK only, so {@code scripts/soak} runs it as a single source file without a build.
 */
public final class Soak {
  private static final String SENTENCE =
      "The committee reviewed the quarterly figures and approved the revised plan for the year. ";

  private final URI base;
  private final long pid;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  private Soak(URI base, long pid) {
    this.base = base;
    this.pid = pid;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opt = new TreeMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument " + args[i]);
      }
      opt.put(args[i].substring(2), args[i + 1]);
    }
    int port = Integer.parseInt(opt.getOrDefault("port", "8080"));
    URI base = URI.create("http://127.0.0.1:" + port);
    long pid = opt.containsKey("pid") ? Long.parseLong(opt.get("pid")) : pidListeningOn(port);
    Soak s = new Soak(base, pid);
    int clients = Integer.parseInt(opt.getOrDefault("clients", "40"));
    int seconds = Integer.parseInt(opt.getOrDefault("seconds", "20"));
    System.out.printf(Locale.ROOT, "server %s, pid %d%n", base, pid);
    s.info(); // the model is loaded before anything is measured
    s.post("/embed", "{\"inputs\": \"warm up\"}", Duration.ofMinutes(3));
    s.load(clients, seconds);
    s.abandoned(Integer.parseInt(opt.getOrDefault("abandon", "10")));
    s.unknownVersions(Integer.parseInt(opt.getOrDefault("unknown", "300")));
    s.hugeInput(Integer.parseInt(opt.getOrDefault("huge-mb", "10")));
  }

  // ---- phases -------------------------------------------------------------------------------

  private record Call(boolean batch, int status, long nanos) {}

  private void load(int clients, int seconds) throws Exception {
    long[] idle = memory();
    String small = "{\"inputs\": \"How do I reset my password?\"}";
    StringBuilder b = new StringBuilder("{\"inputs\": [");
    for (int i = 0; i < 256; i++) {
      b.append(i == 0 ? "" : ",").append('"').append(i).append(' ').append(SENTENCE.repeat(2));
      b.append('"');
    }
    String batch = b.append("]}").toString();
    ConcurrentLinkedQueue<Call> calls = new ConcurrentLinkedQueue<>();
    AtomicLong errors = new AtomicLong();
    long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      Thread t =
          new Thread(
              () -> {
                while (System.nanoTime() < end) {
                  boolean big = ThreadLocalRandom.current().nextInt(10) == 0;
                  long t0 = System.nanoTime();
                  try {
                    Answer a = post("/embed", big ? batch : small, Duration.ofSeconds(120));
                    calls.add(new Call(big, a.status, System.nanoTime() - t0));
                    if (a.status == 503) {
                      // A client that honours Retry-After, as a load balancer or SDK would.
                      Thread.sleep(1000L * a.retryAfter);
                    }
                  } catch (Exception e) {
                    errors.incrementAndGet();
                  }
                }
              });
      t.start();
      threads.add(t);
    }
    long peakRss = 0;
    while (threads.stream().anyMatch(Thread::isAlive)) {
      peakRss = Math.max(peakRss, memory()[0]);
      Thread.sleep(200);
    }
    long hwm = memory()[1];
    Thread.sleep(5_000);
    long[] after = memory();
    System.out.printf(
        Locale.ROOT,
        "%n== load: %d clients for %d s, one request in ten a 256-input batch (a 503 waits its"
            + " Retry-After)%n",
        clients,
        seconds);
    for (boolean big : new boolean[] {false, true}) {
      Map<Integer, Integer> byStatus = new TreeMap<>();
      List<Long> ok = new ArrayList<>();
      for (Call c : calls) {
        if (c.batch == big) {
          byStatus.merge(c.status, 1, Integer::sum);
          if (c.status == 200) {
            ok.add(c.nanos);
          }
        }
      }
      Collections.sort(ok);
      System.out.printf(
          Locale.ROOT,
          "%-6s statuses %s; 200 latency p50 %s ms, p99 %s ms%n",
          big ? "batch" : "small",
          byStatus,
          pct(ok, 0.50),
          pct(ok, 0.99));
    }
    System.out.printf(
        Locale.ROOT,
        "client errors (no HTTP answer): %d%nRSS idle before %d MB, peak %d MB (VmHWM %d MB),"
            + " 5 s after %d MB%n",
        errors.get(),
        idle[0] >> 10,
        peakRss >> 10,
        hwm >> 10,
        after[0] >> 10);
  }

  private void abandoned(int n) throws Exception {
    StringBuilder b = new StringBuilder("{\"inputs\": [");
    String text = "word ".repeat(300);
    for (int i = 0; i < 256; i++) {
      b.append(i == 0 ? "" : ",").append('"').append(text).append(i).append('"');
    }
    byte[] body = b.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    long cancelledBefore = infoLong("requestsCancelled");
    long refusedBefore = infoLong("requestsRefused");
    List<Socket> sockets = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Socket s = new Socket(base.getHost(), base.getPort());
      OutputStream out = s.getOutputStream();
      out.write(
          ("POST /embed HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  + "Content-Length: "
                  + body.length
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.write(body);
      out.flush();
      sockets.add(s);
    }
    Thread.sleep(1_000);
    for (Socket s : sockets) {
      s.close();
    }
    long t0 = System.nanoTime();
    double cpu0 = cpuSeconds();
    double last = cpu0;
    long quietSince = System.nanoTime();
    while (System.nanoTime() - t0 < Duration.ofSeconds(120).toNanos()) {
      Thread.sleep(250);
      double now = cpuSeconds();
      if (now - last > 0.05) {
        quietSince = System.nanoTime();
      } else if (System.nanoTime() - quietSince > 1_000_000_000L) {
        break;
      }
      last = now;
    }
    System.out.printf(
        Locale.ROOT,
        "%n== %d abandoned 256 x 256-token batches (hung up after 1 s)%n"
            + "server CPU after the hang-up: %.2f s, busy for %.1f s; cancelled: %d, refused at"
            + " once (503): %d%n",
        n,
        last - cpu0,
        (quietSince - t0) / 1e9,
        infoLong("requestsCancelled") - cancelledBefore,
        infoLong("requestsRefused") - refusedBefore);
  }

  private void unknownVersions(int n) throws Exception {
    int before = info().length();
    Map<Integer, Integer> byStatus = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      String body = "{\"inputs\": \"x\", \"model\": \"all-minilm-l6-v2@" + (90_000 + i) + "\"}";
      byStatus.merge(post("/embed", body, Duration.ofSeconds(30)).status, 1, Integer::sum);
    }
    System.out.printf(
        Locale.ROOT,
        "%n== %d unknown versions: statuses %s; /info %d bytes before, %d after%n",
        n,
        byStatus,
        before,
        info().length());
  }

  private void hugeInput(int mb) throws Exception {
    String huge = SENTENCE.repeat(mb * 1_000_000 / SENTENCE.length());
    String head = huge.substring(0, huge.lastIndexOf(' ', 2_000));
    double cpu0 = cpuSeconds();
    long t0 = System.nanoTime();
    Answer big = post("/embed", "{\"inputs\": \"" + huge + "\"}", Duration.ofSeconds(120));
    long nanos = System.nanoTime() - t0;
    double cpu = cpuSeconds() - cpu0;
    Answer small = post("/embed", "{\"inputs\": \"" + head + "\"}", Duration.ofSeconds(30));
    System.out.printf(
        Locale.ROOT,
        "%n== one %d MB input: status %d in %.0f ms (server CPU %.2f s); same vector as its first"
            + " 2,000 characters: %s%n",
        mb,
        big.status,
        nanos / 1e6,
        cpu,
        big.status == 200 && big.body.equals(small.body));
  }

  // ---- HTTP and /proc ---------------------------------------------------------------------------

  private record Answer(int status, String body, long retryAfter) {}

  private Answer post(String path, String json, Duration timeout) throws Exception {
    HttpRequest r =
        HttpRequest.newBuilder(base.resolve(path))
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build();
    HttpResponse<String> a = http.send(r, HttpResponse.BodyHandlers.ofString());
    long retry = a.headers().firstValueAsLong("Retry-After").orElse(0);
    return new Answer(a.statusCode(), a.body(), retry);
  }

  private String info() throws Exception {
    HttpRequest r = HttpRequest.newBuilder(base.resolve("/info")).GET().build();
    return http.send(r, HttpResponse.BodyHandlers.ofString()).body();
  }

  private long infoLong(String field) throws Exception {
    Matcher m = Pattern.compile("\"" + field + "\":(\\d+)").matcher(info());
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  private static String pct(List<Long> sorted, double p) {
    if (sorted.isEmpty()) {
      return "-";
    }
    int i = (int) Math.min(sorted.size() - 1, Math.ceil(p * sorted.size()) - 1);
    return String.format(Locale.ROOT, "%.0f", sorted.get(Math.max(0, i)) / 1e6);
  }

  /** VmRSS and VmHWM in kB. */
  private long[] memory() throws IOException {
    long rss = 0;
    long hwm = 0;
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        rss = Long.parseLong(line.replaceAll("\\D", ""));
      } else if (line.startsWith("VmHWM:")) {
        hwm = Long.parseLong(line.replaceAll("\\D", ""));
      }
    }
    return new long[] {rss, hwm};
  }

  /** User + system CPU of the server so far (clock ticks of 1/100 s, as Linux reports them). */
  private double cpuSeconds() throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
  }

  /** The process holding the socket that listens on {@code port} (our user's processes only). */
  static long pidListeningOn(int port) throws IOException {
    String inode = null;
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      for (String line : Files.readAllLines(Path.of(table))) {
        String[] f = line.trim().split("\\s+");
        if (f.length > 9 && f[3].equals("0A") && f[1].endsWith(String.format(":%04X", port))) {
          inode = f[9];
        }
      }
    }
    if (inode == null) {
      throw new IllegalStateException("nothing listens on port " + port + "; start scripts/serve");
    }
    String target = "socket:[" + inode + "]";
    try (var procs = Files.list(Path.of("/proc"))) {
      for (Path p : (Iterable<Path>) procs::iterator) {
        if (!p.getFileName().toString().matches("\\d+")) {
          continue;
        }
        try (var fds = Files.list(p.resolve("fd"))) {
          for (Path fd : (Iterable<Path>) fds::iterator) {
            if (target.equals(Files.readSymbolicLink(fd).toString())) {
              return Long.parseLong(p.getFileName().toString());
            }
          }
        } catch (IOException | SecurityException e) {
          // not ours
        }
      }
    }
    throw new IllegalStateException("no process of this user holds port " + port + "; pass --pid");
  }
}
