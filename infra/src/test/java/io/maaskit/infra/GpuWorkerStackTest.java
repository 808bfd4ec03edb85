package io.maaskit.infra;

import static io.maaskit.infra.InfraTestSupport.at;
import static io.maaskit.infra.InfraTestSupport.json;
import static io.maaskit.infra.InfraTestSupport.list;
import static io.maaskit.infra.InfraTestSupport.map;
import static io.maaskit.infra.InfraTestSupport.resources;
import static io.maaskit.infra.InfraTestSupport.toJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.assertions.Annotations;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;
import software.amazon.awscdk.services.applicationautoscaling.ScalingInterval;

class GpuWorkerStackTest {

  static Template template;
  static Map<String, Object> tpl;

  @BeforeAll
  static void synthesize() {
    var synth = InfraTestSupport.defaults();
    template = synth.gpuWorker();
    tpl = json(template);
    Annotations.fromStack(synth.stacks().gpuWorker()).hasNoError("*", Match.anyValue());
  }

  @Test
  void autoScalingGroupOfG5G6GpuInstancesScalesFromZero() {
    var groups = resources(tpl, "AWS::AutoScaling::AutoScalingGroup");
    assertEquals(1, groups.size());
    var asg = groups.values().iterator().next();
    assertEquals("0", at(asg, "Properties", "MinSize"));
    assertEquals("2", at(asg, "Properties", "MaxSize"));
    assertEquals(
        null,
        at(asg, "Properties", "DesiredCapacity"),
        "desired capacity is left to managed scaling");
    String overrides =
        toJson(at(asg, "Properties", "MixedInstancesPolicy", "LaunchTemplate", "Overrides"));
    assertTrue(overrides.contains("g5.xlarge") && overrides.contains("g6.xlarge"), overrides);
    assertEquals(true, at(asg, "Properties", "NewInstancesProtectedFromScaleIn"));
  }

  @Test
  void instancesUseTheEcsGpuOptimizedAmi() {
    String params = toJson(tpl.get("Parameters"));
    assertTrue(
        params.contains("/aws/service/ecs/optimized-ami/amazon-linux-2/gpu/recommended/image_id"),
        params);
    template.hasResourceProperties(
        "AWS::EC2::LaunchTemplate",
        Map.of(
            "LaunchTemplateData",
            Match.objectLike(Map.of("MetadataOptions", Map.of("HttpTokens", "required")))));
  }

  @Test
  void capacityProviderHasManagedScaling() {
    template.hasResourceProperties(
        "AWS::ECS::CapacityProvider",
        Map.of(
            "AutoScalingGroupProvider",
            Match.objectLike(
                Map.of(
                    "ManagedScaling",
                    Match.objectLike(Map.of("Status", "ENABLED", "TargetCapacity", 100))))));
    template.hasResourceProperties(
        "AWS::ECS::ClusterCapacityProviderAssociations", Match.anyValue());
  }

  @Test
  void taskRequestsOneGpuAndRunsTheQueueWorker() {
    var tasks = resources(tpl, "AWS::ECS::TaskDefinition");
    assertEquals(1, tasks.size());
    var containers =
        list(at(tasks.values().iterator().next(), "Properties", "ContainerDefinitions"));
    assertEquals(1, containers.size());
    var c = map(containers.get(0));
    assertEquals(List.of(Map.of("Type", "GPU", "Value", "1")), c.get("ResourceRequirements"));
    assertEquals(List.of("java", "-jar", "/app/quarkus-run.jar"), c.get("Command"));
    Map<String, Object> env = new java.util.HashMap<>();
    for (Object kv : list(c.get("Environment"))) {
      env.put((String) at(kv, "Name"), at(kv, "Value"));
    }
    assertEquals("gpu", env.get("MAAS_DEVICE"));
    assertTrue(
        toJson(env.get("MAAS_QUEUE_URL")).contains("GpuJobsQueue"),
        toJson(env.get("MAAS_QUEUE_URL")));
    assertTrue(toJson(env.get("MAAS_MODEL_STORE")).contains("ModelPrefix"));
  }

  @Test
  void serviceScalesBetweenZeroAndMaxOnQueueBacklog() {
    template.hasResourceProperties(
        "AWS::ECS::Service",
        Map.of(
            "DesiredCount",
            0,
            "CapacityProviderStrategy",
            List.of(Match.objectLike(Map.of("Weight", 1)))));
    template.hasResourceProperties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        Map.of(
            "MinCapacity", 0, "MaxCapacity", 2, "ScalableDimension", "ecs:service:DesiredCount"));
    var policies = resources(tpl, "AWS::ApplicationAutoScaling::ScalingPolicy").values();
    assertEquals(2, policies.size(), "upper + lower step policies");
    for (var p : policies) {
      assertEquals("StepScaling", at(p, "Properties", "PolicyType"));
      assertEquals(
          "ExactCapacity", at(p, "Properties", "StepScalingPolicyConfiguration", "AdjustmentType"));
    }
    String all = toJson(policies);
    assertTrue(
        all.contains("\"ScalingAdjustment\":0"), "a step must take the service to 0 tasks: " + all);
    // the alarms driving the steps watch visible + in-flight messages of the GPU queue
    String alarms = toJson(resources(tpl, "AWS::CloudWatch::Alarm"));
    assertTrue(
        alarms.contains("visible + inflight")
            && alarms.contains("ApproximateNumberOfMessagesNotVisible"));
  }

  @Test
  void scalingStepsGoFromZeroToMax() {
    List<ScalingInterval> steps = MaasGpuWorkerStack.scalingSteps(3);
    assertEquals(4, steps.size());
    assertEquals(0, steps.get(0).getChange().intValue());
    assertEquals(0, steps.get(0).getUpper().intValue());
    assertEquals(1, steps.get(1).getChange().intValue());
    assertEquals(3, steps.get(3).getChange().intValue());
    assertEquals(20, steps.get(3).getLower().intValue());
  }

  @Test
  void queueDlqAlarmAndScopedPermissions() {
    var queues = resources(tpl, "AWS::SQS::Queue");
    assertEquals(2, queues.size());
    assertTrue(
        queues.values().stream().anyMatch(q -> at(q, "Properties", "RedrivePolicy") != null));
    template.hasResourceProperties(
        "AWS::CloudWatch::Alarm",
        Map.of(
            "MetricName",
            "ApproximateNumberOfMessagesVisible",
            "Threshold",
            0,
            "ComparisonOperator",
            "GreaterThanThreshold"));
    assertEquals(List.of(), PolicyChecks.s3WildcardViolations(tpl));
    for (var s : PolicyChecks.statements(tpl)) {
      if (s.actions().stream().anyMatch(a -> a.startsWith("sqs:"))) {
        assertTrue(toJson(s.resources()).contains("GpuJobsQueue"), s.where());
      }
    }
    assertFalse(toJson(tpl).contains("AWS::EC2::NatGateway"), "no NAT gateway billed while idle");
  }
}
