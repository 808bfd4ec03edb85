package io.maaskit.infra;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Node.js side of the infra tests: the CDK's jsii runtime, the {@code cdk} CLI and
 * {@code @aws/cloudformation-validate} all run on Node. A missing Node is a test FAILURE with an
 * explanation, never a skip.
 */
final class NodeTooling {

  static final Path MODULE_DIR = moduleDir();
  static final Path REPO_ROOT = MODULE_DIR.getParent();
  static final ObjectMapper JSON = new ObjectMapper();
  private static final int MIN_NODE_MAJOR = 20;
  private static String nodeVersion;
  private static boolean installed;

  private NodeTooling() {}

  private static Path moduleDir() {
    Path dir =
        Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
    if (!Files.isRegularFile(dir.resolve("package-lock.json"))
        && Files.isDirectory(dir.resolve("infra"))) {
      dir = dir.resolve("infra");
    }
    return dir;
  }

  /**
   * The environment every Node child process gets: no end-of-life nags, no version check, no
   * telemetry.
   */
  static Map<String, String> quietEnv() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20");
    env.put("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1");
    env.put("CDK_DISABLE_VERSION_CHECK", "true");
    env.put("CDK_DISABLE_CLI_TELEMETRY", "true");
    env.put("npm_config_update_notifier", "false");
    env.put("npm_config_fund", "false");
    env.put("npm_config_audit", "false");
    return env;
  }

  /** Fails (not skips) unless Node >= 20 is on PATH. */
  static synchronized String requireNode() {
    if (nodeVersion != null) {
      return nodeVersion;
    }
    Result r;
    try {
      r = run(List.of("node", "--version"), MODULE_DIR, Duration.ofSeconds(30));
    } catch (IOException e) {
      throw new AssertionError(missingNode("`node` could not be started: " + e.getMessage()), e);
    }
    String v = r.output().trim();
    if (r.exitCode() != 0 || !v.startsWith("v")) {
      throw new AssertionError(missingNode("`node --version` printed: " + v));
    }
    int major = Integer.parseInt(v.substring(1, v.indexOf('.')));
    if (major < MIN_NODE_MAJOR) {
      throw new AssertionError(missingNode("found Node " + v));
    }
    nodeVersion = v;
    return v;
  }

  private static String missingNode(String detail) {
    return "The infra tests need Node.js >= "
        + MIN_NODE_MAJOR
        + " and npm on PATH (the AWS CDK runs its jsii "
        + "kernel on Node; the cdk CLI and @aws/cloudformation-validate are npm packages). "
        + detail
        + ". Install Node 20+ (e.g. `apt-get install nodejs npm`) and re-run.";
  }

  /** {@code npm ci} in infra/ unless node_modules already matches package-lock.json. */
  static synchronized void npmCi() {
    requireNode();
    if (installed) {
      return;
    }
    try {
      if (!upToDate()) {
        Result r =
            run(
                List.of(
                    "npm", "ci", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"),
                MODULE_DIR,
                Duration.ofMinutes(5));
        if (r.exitCode() != 0) {
          fail("npm ci failed in " + MODULE_DIR + " (exit " + r.exitCode() + "):\n" + r.output());
        }
        if (!upToDate()) {
          fail("npm ci succeeded but node_modules does not match package-lock.json");
        }
      }
    } catch (IOException e) {
      throw new AssertionError(
          "npm could not be started (is npm installed next to node?): " + e.getMessage(), e);
    }
    installed = true;
  }

  private static boolean upToDate() throws IOException {
    JsonNode lock = JSON.readTree(MODULE_DIR.resolve("package-lock.json").toFile());
    JsonNode devDeps = lock.path("packages").path("").path("devDependencies");
    if (devDeps.isEmpty()) {
      throw new AssertionError("package-lock.json has no devDependencies");
    }
    for (var it = devDeps.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      String locked = lock.path("packages").path("node_modules/" + name).path("version").asText();
      Path pkg = MODULE_DIR.resolve("node_modules").resolve(name).resolve("package.json");
      if (!Files.isRegularFile(pkg)
          || !locked.equals(JSON.readTree(pkg.toFile()).path("version").asText())) {
        return false;
      }
    }
    return true;
  }

  static Path bin(String name) {
    return MODULE_DIR.resolve("node_modules").resolve(".bin").resolve(name);
  }

  record Result(int exitCode, String output, Duration took) {}

  /**
   * Runs a command (stdout + stderr merged) with the quiet environment; fails the test on timeout.
   */
  static Result run(List<String> command, Path dir, Duration timeout) throws IOException {
    ProcessBuilder pb =
        new ProcessBuilder(new ArrayList<>(command))
            .directory(dir.toFile())
            .redirectErrorStream(true);
    pb.environment().putAll(quietEnv());
    long start = System.nanoTime();
    Process p = pb.start();
    p.getOutputStream().close();
    // read in a thread so a chatty child cannot block on a full pipe
    var out = new java.io.ByteArrayOutputStream();
    Thread reader =
        new Thread(
            () -> {
              try (var in = p.getInputStream()) {
                in.transferTo(out);
              } catch (IOException ignored) {
                // process ended
              }
            });
    reader.start();
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        fail("timed out after " + timeout + ": " + String.join(" ", command));
      }
      reader.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    return new Result(
        p.exitValue(),
        out.toString(StandardCharsets.UTF_8),
        Duration.ofNanos(System.nanoTime() - start));
  }
}
