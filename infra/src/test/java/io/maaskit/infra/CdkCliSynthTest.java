package io.maaskit.infra;

import static io.maaskit.infra.InfraTestSupport.map;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * {@code cdk synth} through the real CLI (node_modules/.bin/cdk), offline, with the fast {@code
 * java -cp} app.
 */
class CdkCliSynthTest {

  static final Path OUT = NodeTooling.MODULE_DIR.resolve("target").resolve("cdk.out-cli");

  @Test
  void cliSynthesizesTheSameTemplatesAsTheInProcessApp() throws IOException {
    NodeTooling.npmCi();
    Path cdk = NodeTooling.bin("cdk");
    assertTrue(Files.isExecutable(cdk), cdk + " missing after npm ci");

    Path classpathFile = NodeTooling.MODULE_DIR.resolve("target").resolve("cdk-classpath.txt");
    assertTrue(
        Files.isRegularFile(classpathFile),
        "written by maven-dependency-plugin in generate-resources");
    String classpath =
        NodeTooling.MODULE_DIR.resolve("target").resolve("classes")
            + File.pathSeparator
            + Files.readString(classpathFile).trim();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String app = java + " -cp " + classpath + " " + MaasInfraApp.class.getName();

    var r =
        NodeTooling.run(
            List.of(
                cdk.toString(),
                "synth",
                "--no-notices",
                "--no-version-reporting",
                // The in-process app writes no aws:cdk:path metadata; with it, a REST API's
                // Deployment (whose logical id hashes its API's resources) would get another id.
                "--no-path-metadata",
                "--quiet",
                "--app",
                app,
                "-c",
                InfraSettings.CTX_CODE_SOURCE + "=bucket",
                "-o",
                OUT.toString()),
            NodeTooling.MODULE_DIR,
            Duration.ofMinutes(4));
    System.out.println("cdk synth (CLI) took " + r.took().toMillis() + " ms");
    assertEquals(0, r.exitCode(), r.output());
    assertFalse(r.output().contains("WARNING"), "synth warnings:\n" + r.output());

    var inProcess = InfraTestSupport.defaults();
    for (String stack : InfraTestSupport.STACKS) {
      Path cli = OUT.resolve(stack + ".template.json");
      assertTrue(Files.isRegularFile(cli), "CLI did not write " + cli);
      Map<String, Object> expected = resources(inProcess.templateFile(stack));
      Map<String, Object> actual = resources(cli);
      assertEquals(expected.keySet(), actual.keySet(), stack + ": logical ids differ");
      List<String> differing =
          expected.keySet().stream()
              .filter(id -> !expected.get(id).equals(actual.get(id)))
              .toList();
      assertEquals(
          List.of(), differing, stack + ": resources differ between CLI and in-process synth");
    }
    String manifest = Files.readString(OUT.resolve("manifest.json"));
    for (String stack : InfraTestSupport.STACKS) {
      assertTrue(manifest.contains("\"" + stack + "\""), manifest);
    }
  }

  /** Resources without CDK bookkeeping (version-reporting metadata, construct paths). */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> resources(Path template) throws IOException {
    Map<String, Object> resources =
        new TreeMap<>(
            map(map(NodeTooling.JSON.readValue(template.toFile(), Map.class)).get("Resources")));
    resources.remove("CDKMetadata");
    resources.replaceAll(
        (id, r) -> {
          Map<String, Object> copy = new TreeMap<>((Map<String, Object>) r);
          copy.remove("Metadata");
          return copy;
        });
    return resources;
  }
}
