package io.maaskit.infra;

import static io.maaskit.infra.InfraTestSupport.at;
import static io.maaskit.infra.InfraTestSupport.json;
import static io.maaskit.infra.InfraTestSupport.resources;
import static io.maaskit.infra.InfraTestSupport.toJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Invariants over every template: CDK (all variants) and SAM. */
class SecurityInvariantsTest {

  static List<Map<String, Object>> cdkTemplates() {
    var d = InfraTestSupport.defaults();
    var j = InfraTestSupport.jwt();
    return List.of(
        json(d.serverless()),
        json(d.cpuImage()),
        json(d.gpuWorker()),
        json(j.serverless()),
        json(j.cpuImage()));
  }

  @Test
  void noS3ActionOnWildcardResourceAnywhere() throws Exception {
    for (var t : cdkTemplates()) {
      assertEquals(List.of(), PolicyChecks.s3WildcardViolations(t));
    }
    assertEquals(List.of(), PolicyChecks.s3WildcardViolations(SamTemplateTest.load()));
  }

  @Test
  void theWildcardCheckDetectsViolations() {
    Map<String, Object> bad =
        Map.of(
            "Resources",
            Map.of(
                "P",
                    Map.of(
                        "Type",
                        "AWS::IAM::Policy",
                        "Properties",
                        Map.of(
                            "PolicyDocument",
                            Map.of(
                                "Statement",
                                List.of(
                                    Map.of(
                                        "Effect",
                                        "Allow",
                                        "Action",
                                        "s3:GetObject",
                                        "Resource",
                                        "*"))))),
                "Q",
                    Map.of(
                        "Type",
                        "AWS::IAM::Role",
                        "Properties",
                        Map.of(
                            "ManagedPolicyArns",
                            List.of("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"))),
                "R",
                    Map.of(
                        "Type",
                        "AWS::Serverless::Function",
                        "Properties",
                        Map.of(
                            "Policies",
                            List.of(
                                Map.of(
                                    "Statement",
                                    List.of(
                                        Map.of(
                                            "Effect",
                                            "Allow",
                                            "Action",
                                            List.of("*"),
                                            "Resource",
                                            "arn:aws:s3:::*")))))),
                "S",
                    Map.of(
                        "Type",
                        "AWS::IAM::Policy",
                        "Properties",
                        Map.of(
                            "PolicyDocument",
                            Map.of(
                                "Statement",
                                List.of(
                                    Map.of(
                                        "Effect",
                                        "Allow",
                                        "Action",
                                        "sqs:SendMessage",
                                        "Resource",
                                        "*")))))));
    var violations = PolicyChecks.s3WildcardViolations(bad);
    assertEquals(3, violations.size(), violations.toString());
  }

  @Test
  void everyBucketAndQueueDeniesNonTlsAccess() throws Exception {
    var all = new java.util.ArrayList<>(cdkTemplates());
    all.add(SamTemplateTest.load());
    for (var t : all) {
      String bucketPolicies = toJson(resources(t, "AWS::S3::BucketPolicy"));
      for (String bucket : resources(t, "AWS::S3::Bucket").keySet()) {
        assertTrue(bucketPolicies.contains(bucket), "bucket without policy: " + bucket);
      }
      if (!resources(t, "AWS::S3::Bucket").isEmpty()) {
        assertTrue(bucketPolicies.contains("\"aws:SecureTransport\":\"false\""), bucketPolicies);
      }
      String queuePolicies = toJson(resources(t, "AWS::SQS::QueuePolicy"));
      for (String queue : resources(t, "AWS::SQS::Queue").keySet()) {
        assertTrue(queuePolicies.contains(queue), "queue without TLS-only policy: " + queue);
        assertTrue(queuePolicies.contains("\"aws:SecureTransport\":\"false\""));
      }
      for (var q : resources(t, "AWS::SQS::Queue").values()) {
        assertTrue(
            Boolean.TRUE.equals(at(q, "Properties", "SqsManagedSseEnabled")),
            "queue not encrypted");
      }
    }
  }

  @Test
  void noApiRouteIsAnonymousUnlessAskedFor() throws Exception {
    for (var t : cdkTemplates()) {
      for (var route : resources(t, "AWS::ApiGatewayV2::Route").values()) {
        assertFalse("NONE".equals(at(route, "Properties", "AuthorizationType")), toJson(route));
      }
    }
  }
}
