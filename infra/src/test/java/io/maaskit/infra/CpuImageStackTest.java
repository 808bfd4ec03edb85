package io.maaskit.infra;

import static io.maaskit.infra.InfraTestSupport.at;
import static io.maaskit.infra.InfraTestSupport.json;
import static io.maaskit.infra.InfraTestSupport.map;
import static io.maaskit.infra.InfraTestSupport.resources;
import static io.maaskit.infra.InfraTestSupport.toJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.assertions.Annotations;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

class CpuImageStackTest {

  static Template template;
  static Map<String, Object> tpl;

  @BeforeAll
  static void synthesize() {
    var synth = InfraTestSupport.defaults();
    template = synth.cpuImage();
    tpl = json(template);
    Annotations.fromStack(synth.stacks().cpuImage()).hasNoWarning("*", Match.anyValue());
  }

  @Test
  void functionIsAnEcrImageSelectedByParametersWithoutDockerAtSynth() {
    var functions = resources(tpl, "AWS::Lambda::Function");
    assertEquals(1, functions.size());
    var fn = functions.values().iterator().next();
    assertEquals("Image", at(fn, "Properties", "PackageType"));
    String imageUri = toJson(at(fn, "Properties", "Code", "ImageUri"));
    assertTrue(imageUri.contains("ImageRepositoryName") && imageUri.contains("ImageTag"), imageUri);
    assertNull(at(fn, "Properties", "SnapStart"), "SnapStart does not apply to container images");
    assertEquals(List.of("x86_64"), at(fn, "Properties", "Architectures"));
    assertEquals(Map.of("Size", 2048), at(fn, "Properties", "EphemeralStorage"));
    // no asset: the image is built and pushed outside synth (infra/docker/cpu/Dockerfile)
    assertFalse(toJson(tpl).contains("cdk-hnb659fds-container-assets"));
  }

  @Test
  void environmentUsesTheNativesBakedIntoTheImageOffline() {
    var fn = resources(tpl, "AWS::Lambda::Function").values().iterator().next();
    var env = map(at(fn, "Properties", "Environment", "Variables"));
    assertEquals("/opt/natives/tokenizers/libtokenizers.so", env.get("RUST_LIBRARY_PATH"));
    String javaOptions = String.valueOf(env.get("JAVA_TOOL_OPTIONS"));
    assertTrue(javaOptions.contains("-Dai.djl.offline=true"), javaOptions);
    assertTrue(
        javaOptions.contains("-Donnxruntime.native.path=/opt/natives/onnxruntime"), javaOptions);
    assertEquals("cache", env.get("MAAS_LOAD_MODE"));
    assertTrue(toJson(env.get("MAAS_MODEL_STORE")).contains("ModelBucketName"));
    assertFalse(env.containsKey("MAAS_QUEUE_URL"));
  }

  @Test
  void readsOnlyTheModelPrefixOfTheExistingBucket() {
    assertEquals(List.of(), PolicyChecks.s3WildcardViolations(tpl));
    var s3 =
        PolicyChecks.statements(tpl).stream()
            .filter(s -> s.actions().stream().anyMatch(a -> a.startsWith("s3:")))
            .toList();
    assertEquals(2, s3.size());
    for (var s : s3) {
      assertFalse(s.actions().contains("s3:PutObject"));
      assertTrue(toJson(s.body()).contains("ModelPrefix"), toJson(s.body()));
    }
  }

  @Test
  void aliasCanaryAlarmsAndIamProtectedRoutes() {
    template.hasResourceProperties("AWS::Lambda::Alias", Map.of("Name", "live"));
    template.hasResourceProperties(
        "AWS::CodeDeploy::DeploymentGroup",
        Map.of("DeploymentConfigName", "CodeDeployDefault.LambdaCanary10Percent5Minutes"));
    var alarms = resources(tpl, "AWS::CloudWatch::Alarm").values();
    assertEquals(
        List.of("Errors", "Throttles", "Duration"),
        alarms.stream().map(a -> at(a, "Properties", "MetricName")).toList());
    assertTrue(
        alarms.stream().anyMatch(a -> "p99".equals(at(a, "Properties", "ExtendedStatistic"))));
    AccessControlTest.assertAllRoutes(template, "AWS_IAM", MaasConstructs.INFERENCE_ROUTES);
  }
}
