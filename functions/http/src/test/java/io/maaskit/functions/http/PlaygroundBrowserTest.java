package io.maaskit.functions.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.functions.testing.ModelStoreResource;
import io.maaskit.it.TestModels;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The playground in a real browser: Debian's {@code chromium}, driven by npm's {@code
 * playwright-core} (installed under {@code target/}), loads the page from this test's server,
 * classifies a sample, asks the tiny generator a question and explains its answer, and checks that
 * the highlighted tokens (the classifier's, and the prompt tokens of the chat answer) carry the
 * values {@code /explain} returns (see {@code src/test/js/playground.mjs}); the screenshot lands in
 * {@code target/playground.png}; and streams a chat answer ({@code src/test/js/chat.mjs},
 * screenshot in {@code target/playground-chat.png}). A missing chromium or node is a failure that
 * says how to install it.
 */
@QuarkusTest
@QuarkusTestResource(ModelStoreResource.class)
class PlaygroundBrowserTest {
  static final Path JS = Path.of("src", "test", "js");
  static final Path WORK = Path.of("target", "browser-test").toAbsolutePath();
  static final String CHROMIUM = System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium");

  @TestHTTPResource("/")
  URL root;

  @BeforeAll
  static void trainClassifier() throws Exception {
    TestModels.topicClassifier();
    TestModels.spamClassifier();
  }

  record Result(int exit, String output) {}

  static Result run(List<String> cmd, long minutes) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).directory(WORK.toFile()).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      return new Result(-1, "timed out: " + new String(out, StandardCharsets.UTF_8));
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  /** Chromium present, the scripts copied and playwright-core installed under {@link #WORK}. */
  static void install() throws IOException, InterruptedException {
    assertTrue(
        Files.isExecutable(Path.of(CHROMIUM)),
        CHROMIUM + " is missing: install it (Debian: apt-get install -y chromium; .ci/run does)");
    Files.createDirectories(WORK);
    for (String f :
        List.of("package.json", "package-lock.json", "playground.mjs", "chat.mjs", "tokens.mjs")) {
      Files.copy(JS.resolve(f), WORK.resolve(f), StandardCopyOption.REPLACE_EXISTING);
    }
    if (!Files.isDirectory(WORK.resolve("node_modules/playwright-core"))) {
      Result npm = run(List.of("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"), 5);
      assertEquals(0, npm.exit(), "npm ci (playwright-core) failed:\n" + npm.output());
    }
  }

  /**
   * Runs {@code script} (under {@code src/test/js}) on this server in Chromium with {@code args}
   * after the base URL and the screenshot path; asserts it reported no failures and saved a
   * screenshot.
   */
  String browse(String script, String screenshot, long minutes, String... args) throws Exception {
    return browse(root, script, screenshot, minutes, args);
  }

  /** {@link #browse(String, String, long, String...)} on the server at {@code root}. */
  static String browse(URL root, String script, String screenshot, long minutes, String... args)
      throws Exception {
    install();
    Path shot = Path.of("target", screenshot).toAbsolutePath();
    Files.deleteIfExists(shot);
    List<String> cmd = new java.util.ArrayList<>(List.of("node", script));
    cmd.add(root.toString().replaceAll("/$", ""));
    cmd.add(shot.toString());
    cmd.addAll(List.of(args));
    Result node = run(cmd, minutes);
    assertEquals(0, node.exit(), node.output());
    assertTrue(node.output().contains("\"failures\":[]"), node.output());
    assertTrue(Files.size(shot) > 10_000, "screenshot " + shot);
    return node.output();
  }

  /**
   * The chat panel ({@code src/test/js/chat.mjs}): the answer streamed from {@code
   * /v1/chat/completions} grows in at least three visible steps before it completes, equals the
   * non-streamed answer of the same seeded request, shows the usage, and Stop ends a stream caught
   * while the server generates it, after which the server's active sequences are back to 0.
   */
  @Test
  void chatPanelStreamsTheAnswerAndStopFreesTheSequence() throws Exception {
    browse("chat.mjs", "playground-chat.png", 6, ModelStoreResource.GENERATOR);
  }

  @Test
  void pageHighlightsTheTokensExplainReturns() throws Exception {
    String output =
        browse(
            "playground.mjs",
            "playground.png",
            4,
            TestModels.SPAM,
            "You have won a free prize, click here now to claim your cash reward",
            ModelStoreResource.GENERATOR);
    // The page lists labels highest first: the spam sample must come out as spam.
    assertTrue(output.matches("(?s).*\"label\":\"\\s*spam.*"), output);
  }
}
