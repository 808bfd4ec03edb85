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
 * {@code target/playground.png}. A missing chromium or node is a failure that says how to install
 * it.
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

  @Test
  void pageHighlightsTheTokensExplainReturns() throws Exception {
    assertTrue(
        Files.isExecutable(Path.of(CHROMIUM)),
        CHROMIUM + " is missing: install it (Debian: apt-get install -y chromium; .ci/run does)");
    Files.createDirectories(WORK);
    for (String f : List.of("package.json", "package-lock.json", "playground.mjs")) {
      Files.copy(JS.resolve(f), WORK.resolve(f), StandardCopyOption.REPLACE_EXISTING);
    }
    if (!Files.isDirectory(WORK.resolve("node_modules/playwright-core"))) {
      Result npm = run(List.of("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"), 5);
      assertEquals(0, npm.exit(), "npm ci (playwright-core) failed:\n" + npm.output());
    }
    Path shot = Path.of("target", "playground.png").toAbsolutePath();
    Files.deleteIfExists(shot);
    String base = root.toString().replaceAll("/$", "");
    Result node =
        run(
            List.of(
                "node",
                "playground.mjs",
                base,
                shot.toString(),
                TestModels.SPAM,
                "You have won a free prize, click here now to claim your cash reward",
                ModelStoreResource.GENERATOR),
            4);
    assertEquals(0, node.exit(), node.output());
    assertTrue(node.output().contains("\"failures\":[]"), node.output());
    // The page lists labels highest first: the spam sample must come out as spam.
    assertTrue(node.output().matches("(?s).*\"label\":\"\\s*spam.*"), node.output());
    assertTrue(Files.size(shot) > 10_000, "screenshot " + shot);
  }
}
