package io.maaskit.infra;

import static io.maaskit.infra.InfraTestSupport.at;
import static io.maaskit.infra.InfraTestSupport.json;
import static io.maaskit.infra.InfraTestSupport.map;
import static io.maaskit.infra.InfraTestSupport.resources;
import static io.maaskit.infra.InfraTestSupport.toJson;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.App;

/**
 * Where the function zips come from: built zips as CDK assets, or prebuilt zips in a bucket
 * (parameters).
 */
class CodeSourceTest {

  static final Path FAKE_FUNCTIONS =
      NodeTooling.MODULE_DIR.resolve("target").resolve("fake-functions");

  @Test
  void autoUsesTheBuiltZipsAsAssetsWhenTheyExist() throws IOException {
    fakeZip("http-lambda");
    fakeZip("queue-lambda");
    var synth =
        InfraTestSupport.variant(
            "cdk.out-assets",
            Map.of(
                InfraSettings.CTX_CODE_SOURCE,
                "auto",
                InfraSettings.CTX_FUNCTIONS_DIR,
                FAKE_FUNCTIONS.toString()));
    var tpl = json(synth.serverless());
    assertFalse(map(tpl.get("Parameters")).containsKey("HttpFunctionZipKey"));
    for (var fn : resources(tpl, "AWS::Lambda::Function").values()) {
      assertTrue(
          toJson(at(fn, "Properties", "Code", "S3Bucket")).contains("cdk-hnb659fds-assets"),
          toJson(at(fn, "Properties", "Code")));
    }
    String assets = Files.readString(synth.outdir().resolve("MaasServerlessStack.assets.json"));
    assertTrue(assets.contains("\"packaging\": \"file\""), assets);
  }

  @Test
  void autoFallsBackToBucketParametersWithoutZips() {
    var synth =
        InfraTestSupport.variant(
            "cdk.out-auto-nozip",
            Map.of(
                InfraSettings.CTX_CODE_SOURCE,
                "auto",
                InfraSettings.CTX_FUNCTIONS_DIR,
                NodeTooling.MODULE_DIR.resolve("target/no-such-dir").toString()));
    assertTrue(map(json(synth.serverless()).get("Parameters")).containsKey("HttpFunctionZipKey"));
  }

  @Test
  void assetModeWithoutZipsFailsWithInstructions() {
    App app =
        App.Builder.create()
            .outdir("target/cdk.out-rejected")
            .context(
                Map.of(
                    InfraSettings.CTX_CODE_SOURCE, "asset",
                    InfraSettings.CTX_FUNCTIONS_DIR, "target/no-such-dir"))
            .build();
    var e = assertThrows(IllegalStateException.class, () -> MaasInfraApp.build(app));
    assertTrue(
        e.getMessage().contains("function.zip")
            && e.getMessage().contains("maas:codeSource=bucket"),
        e.getMessage());
  }

  private static void fakeZip(String module) throws IOException {
    Path zip = FAKE_FUNCTIONS.resolve(module).resolve("target").resolve("function.zip");
    Files.createDirectories(zip.getParent());
    try (var out = new ZipOutputStream(Files.newOutputStream(zip))) {
      out.putNextEntry(new ZipEntry("lib/placeholder.txt"));
      out.write(("fake " + module + " zip for synth tests").getBytes());
      out.closeEntry();
    }
  }
}
