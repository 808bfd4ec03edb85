package io.maaskit.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Runs one whole-process measurement (a side of the generation benchmark, in its own JVM) the way
 * JMH trials run here: waits up to 15 s for a quiet machine, starts the command with inherited
 * output, and records how much CPU other processes used meanwhile (the child's own ticks sampled
 * every 100 ms, since they cannot be read once it has exited). Exits with the child's status.
 *
 * <pre>
 * QuietRun --record bench/work/generation/jlama-fp32.contention.json -- java -cp ... Main ...
 * </pre>
 */
public final class QuietRun {
  private QuietRun() {}

  public static void main(String[] args) throws Exception {
    int sep = Arrays.asList(args).indexOf("--");
    if (sep != 2 || !args[0].equals("--record") || sep == args.length - 1) {
      throw new IllegalArgumentException("usage: QuietRun --record FILE -- COMMAND...");
    }
    Path record = Path.of(args[1]);
    List<String> cmd = Arrays.asList(args).subList(sep + 1, args.length);
    long waited = Contention.awaitQuiet(Contention.QUIET_CORES, Contention.quietWaitMillis());
    Contention c0 = Contention.now();
    Process p = new ProcessBuilder(cmd).inheritIO().start();
    long childTicks = 0;
    while (!p.waitFor(100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
      childTicks = Math.max(childTicks, Contention.cpuTicks(p.pid()));
    }
    Contention c1 = Contention.now();
    ObjectNode r = new ObjectMapper().createObjectNode();
    // Up to 100 ms of the child's last CPU use is unseen: it counts as foreign (conservative).
    r.put("foreign_cores", Math.round(c1.foreignCoresSince(c0, childTicks) * 1000) / 1000.0);
    r.put("steal_cores", Math.round(c1.stealCoresSince(c0) * 1000) / 1000.0);
    r.put("waited_for_quiet_ms", waited);
    r.put("exit", p.exitValue());
    Files.createDirectories(record.toAbsolutePath().getParent());
    new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(record.toFile(), r);
    System.exit(p.exitValue());
  }
}
