package io.maaskit.infra;

import static io.maaskit.infra.InfraTestSupport.HANDLER;
import static io.maaskit.infra.InfraTestSupport.at;
import static io.maaskit.infra.InfraTestSupport.json;
import static io.maaskit.infra.InfraTestSupport.list;
import static io.maaskit.infra.InfraTestSupport.map;
import static io.maaskit.infra.InfraTestSupport.resources;
import static io.maaskit.infra.InfraTestSupport.restApiRoutes;
import static io.maaskit.infra.InfraTestSupport.toJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.assertions.Annotations;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

class ServerlessStackTest {

  static InfraTestSupport.Synth synth;
  static Template template;
  static Map<String, Object> tpl;

  @BeforeAll
  static void synthesize() {
    synth = InfraTestSupport.defaults();
    template = synth.serverless();
    tpl = json(template);
  }

  @Test
  void writesTemplatesToTargetCdkOut() {
    for (var file : synth.templateFiles()) {
      assertTrue(Files.isRegularFile(file), "missing " + file);
    }
  }

  @Test
  void synthesizesWithoutWarningsOrErrors() {
    Annotations annotations = Annotations.fromStack(synth.stacks().serverless());
    annotations.hasNoError("*", Match.anyValue());
    annotations.hasNoWarning("*", Match.anyValue());
  }

  @Test
  void functionsAreJava21QuarkusSnapStartedExceptTheStreamingOne() {
    var functions = resources(tpl, "AWS::Lambda::Function");
    assertEquals(3, functions.size(), "HTTP, streaming and queue function: " + functions.keySet());
    for (var e : functions.entrySet()) {
      var fn = e.getValue();
      assertEquals("java21", at(fn, "Properties", "Runtime"));
      assertEquals(Map.of("Ref", "MemorySize"), at(fn, "Properties", "MemorySize"));
      assertEquals(List.of("x86_64"), at(fn, "Properties", "Architectures"));
      if (e.getKey().startsWith("StreamFunction")) {
        assertEquals(HANDLER, at(fn, "Properties", "Handler"));
        assertNull(at(fn, "Properties", "SnapStart"), "no SnapStart on the streaming function");
        assertEquals(
            MaasConstructs.STREAM_WRAPPER,
            at(fn, "Properties", "Environment", "Variables", "AWS_LAMBDA_EXEC_WRAPPER"));
        assertEquals(900, at(fn, "Properties", "Timeout"));
      } else {
        assertEquals(
            e.getKey().startsWith("QueueFunction") ? MaasServerlessStack.QUEUE_HANDLER : HANDLER,
            at(fn, "Properties", "Handler"));
        assertEquals(Map.of("ApplyOn", "PublishedVersions"), at(fn, "Properties", "SnapStart"));
      }
    }
    template.resourceCountIs("AWS::Lambda::Version", 3);
    template.resourcePropertiesCountIs("AWS::Lambda::Alias", Map.of("Name", "live"), 3);
  }

  @Test
  void streamingRoutesAreTheRouteTablesOnAStreamingRestApiAndAFunctionUrl() {
    Set<String> table =
        io.maaskit.functions.routes.Routes.streaming().stream()
            .map(io.maaskit.functions.routes.Routes.Route::key)
            .collect(Collectors.toCollection(TreeSet::new));
    assertEquals(table, restApiRoutes(tpl), "REST API methods vs Routes.streaming()");
    for (var method : resources(tpl, "AWS::ApiGateway::Method").values()) {
      assertEquals("AWS_IAM", at(method, "Properties", "AuthorizationType"));
      var integration = map(at(method, "Properties", "Integration"));
      assertEquals("AWS_PROXY", integration.get("Type"));
      assertEquals("STREAM", integration.get("ResponseTransferMode"));
      String uri = toJson(integration.get("Uri"));
      assertTrue(
          uri.contains("StreamFunctionLive") && uri.contains("response-streaming-invocations"),
          uri);
    }
    template.hasResourceProperties(
        "AWS::Lambda::Url",
        Map.of(
            "AuthType",
            "AWS_IAM",
            "InvokeMode",
            "RESPONSE_STREAM",
            "Qualifier",
            "live",
            "TargetFunctionArn",
            Map.of("Fn::GetAtt", List.of(Match.stringLikeRegexp("StreamFunction.*"), "Arn"))));
  }

  @Test
  void httpAliasIsDeployedByCodeDeployCanaryWithAlarmRollback() {
    template.hasResourceProperties(
        "AWS::CodeDeploy::DeploymentGroup",
        Map.of(
            "DeploymentConfigName", "CodeDeployDefault.LambdaCanary10Percent5Minutes",
            "AlarmConfiguration",
                Map.of(
                    "Enabled",
                    true,
                    "Alarms",
                    Match.arrayWith(
                        List.of(
                            Map.of(
                                "Name",
                                Map.of("Ref", Match.stringLikeRegexp("HttpFunctionErrorsAlarm.*"))),
                            Map.of(
                                "Name",
                                Map.of(
                                    "Ref",
                                    Match.stringLikeRegexp("HttpFunctionP99DurationAlarm.*")))))),
            "AutoRollbackConfiguration",
                Map.of(
                    "Enabled",
                    true,
                    "Events",
                    Match.arrayWith(List.of("DEPLOYMENT_STOP_ON_ALARM")))));
    template.hasResource(
        "AWS::Lambda::Alias",
        Map.of(
            "Properties",
                Map.of(
                    "Name",
                    "live",
                    "FunctionName",
                    Map.of("Ref", Match.stringLikeRegexp("HttpFunction.*"))),
            "UpdatePolicy", Map.of("CodeDeployLambdaAliasUpdate", Match.anyValue())));
  }

  @Test
  void bucketParametersMakeEveryNewZipPublishANewVersion() {
    // Code comes from bucket/key parameters; the version description embeds the key, so a new key
    // replaces the
    // AWS::Lambda::Version (Description is create-only) and the alias moves.
    var params = map(tpl.get("Parameters"));
    assertTrue(
        params
            .keySet()
            .containsAll(
                Set.of("ArtifactBucketName", "HttpFunctionZipKey", "QueueFunctionZipKey")));
    var versions = resources(tpl, "AWS::Lambda::Version").values();
    assertTrue(
        versions.stream()
            .allMatch(v -> toJson(at(v, "Properties", "Description")).contains("ZipKey")),
        "version descriptions must reference the zip key parameters");
  }

  @Test
  void modelBucketIsEncryptedVersionedPrivateAndTlsOnly() {
    template.hasResourceProperties(
        "AWS::S3::Bucket",
        Map.of(
            "BucketEncryption",
                Map.of(
                    "ServerSideEncryptionConfiguration",
                    List.of(
                        Map.of("ServerSideEncryptionByDefault", Map.of("SSEAlgorithm", "AES256")))),
            "VersioningConfiguration", Map.of("Status", "Enabled"),
            "PublicAccessBlockConfiguration",
                Map.of(
                    "BlockPublicAcls",
                    true,
                    "BlockPublicPolicy",
                    true,
                    "IgnorePublicAcls",
                    true,
                    "RestrictPublicBuckets",
                    true)));
    template.hasResourceProperties(
        "AWS::S3::BucketPolicy",
        Map.of(
            "PolicyDocument",
            Map.of(
                "Statement",
                Match.arrayWith(
                    List.of(
                        Match.objectLike(
                            Map.of(
                                "Effect",
                                "Deny",
                                "Condition",
                                Map.of("Bool", Map.of("aws:SecureTransport", "false")))))))));
  }

  @Test
  void s3AccessIsScopedToTheModelResultsAndBatchPrefixes() {
    assertEquals(List.of(), PolicyChecks.s3WildcardViolations(tpl));
    var statements = PolicyChecks.statements(tpl);
    var s3 =
        statements.stream()
            .filter(s -> s.actions().stream().anyMatch(a -> a.startsWith("s3:")))
            .toList();
    assertFalse(s3.isEmpty());
    for (var s : s3) {
      String resources = toJson(s.resources());
      if (s.actions().contains("s3:ListBucket")) {
        assertEquals(List.of("s3:ListBucket"), s.actions(), s.where());
        String prefix = toJson(at(s.body(), "Condition", "StringLike", "s3:prefix"));
        assertTrue(
            prefix.contains("ModelPrefix")
                || prefix.contains("ResultsPrefix")
                || prefix.contains("BatchPrefix"),
            s.where() + " " + prefix);
      } else {
        assertTrue(resources.contains("Prefix"), s.where() + " " + resources);
      }
    }
    // What each function may do below each prefix: nothing writes models (the zips do not train);
    // only the queue function writes results; the Files and Batches APIs read, write and delete
    // below the batch prefix, their steps read and write there.
    assertEquals(
        Map.of(
            "ModelPrefix", Set.of("s3:GetObject", "s3:ListBucket"),
            "BatchPrefix",
                Set.of("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket")),
        s3Access(s3, "HttpFunction"));
    assertEquals(
        Map.of(
            "ModelPrefix", Set.of("s3:GetObject", "s3:ListBucket"),
            "ResultsPrefix", Set.of("s3:GetObject", "s3:PutObject", "s3:ListBucket"),
            "BatchPrefix", Set.of("s3:GetObject", "s3:PutObject", "s3:ListBucket")),
        s3Access(s3, "QueueFunction"));
    assertEquals(
        Map.of("ModelPrefix", Set.of("s3:GetObject", "s3:ListBucket")),
        s3Access(s3, "StreamFunction"));
  }

  /** Prefix parameter → S3 actions the named function's statements grant below it. */
  static Map<String, Set<String>> s3Access(List<PolicyChecks.Statement> s3, String function) {
    Map<String, Set<String>> out = new java.util.TreeMap<>();
    for (var s : s3) {
      if (!s.where().startsWith(function)) {
        continue;
      }
      String scope = toJson(s.resources()) + toJson(s.body().get("Condition"));
      for (String prefix : List.of("ModelPrefix", "ResultsPrefix", "BatchPrefix")) {
        if (scope.contains(prefix)) {
          out.computeIfAbsent(prefix, k -> new TreeSet<>()).addAll(s.actions());
        }
      }
    }
    return out;
  }

  @Test
  void sqsPermissionsAreTheQueuesEachFunctionUses() {
    Map<String, Set<String>> http = new java.util.TreeMap<>();
    Map<String, Set<String>> queueFn = new java.util.TreeMap<>();
    for (var s : PolicyChecks.statements(tpl)) {
      if (s.actions().stream().noneMatch(a -> a.startsWith("sqs:"))) {
        continue;
      }
      assertEquals(1, s.resources().size(), s.where());
      String queueName = toJson(s.resources()).contains("BatchQueue") ? "batch" : "jobs";
      assertTrue(
          toJson(s.resources()).contains(queueName.equals("batch") ? "BatchQueue" : "JobsQueue"),
          s.where() + " " + s.resources());
      var into =
          s.where().startsWith("HttpFunction")
              ? http
              : s.where().startsWith("QueueFunction") ? queueFn : null;
      assertNotNull(into, "no other function touches a queue: " + s.where());
      into.computeIfAbsent(queueName, k -> new TreeSet<>()).addAll(s.actions());
    }
    // The HTTP function only sends a batch's validation; the queue function consumes both queues
    // (event source mappings) and sends to the batch queue only (a validation's chunks).
    assertEquals(Map.of("batch", Set.of("sqs:SendMessage")), http);
    assertTrue(
        queueFn.get("batch").containsAll(Set.of("sqs:ReceiveMessage", "sqs:DeleteMessage")),
        queueFn.toString());
    assertTrue(queueFn.get("batch").contains("sqs:SendMessage"), queueFn.toString());
    assertFalse(queueFn.get("jobs").contains("sqs:SendMessage"), queueFn.toString());
  }

  @Test
  void queueHasDeadLetterQueueAndLongEnoughVisibility() {
    var queues = resources(tpl, "AWS::SQS::Queue");
    assertEquals(4, queues.size(), "jobs and batch steps, each with a DLQ: " + queues.keySet());
    int queueFnTimeout =
        resources(tpl, "AWS::Lambda::Function").entrySet().stream()
            .filter(e -> e.getKey().startsWith("QueueFunction"))
            .map(e -> ((Number) at(e.getValue(), "Properties", "Timeout")).intValue())
            .findFirst()
            .orElseThrow();
    for (String name : List.of("Jobs", "Batch")) {
      var main =
          queues.entrySet().stream()
              .filter(q -> q.getKey().startsWith(name + "Queue"))
              .map(Map.Entry::getValue)
              .findFirst()
              .orElseThrow(() -> new AssertionError("no " + name + "Queue"));
      Object redrive = at(main, "Properties", "RedrivePolicy");
      assertEquals(Map.of("Ref", "MaxReceiveCount"), at(redrive, "maxReceiveCount"));
      String dlqId = list(at(redrive, "deadLetterTargetArn", "Fn::GetAtt")).get(0).toString();
      assertTrue(queues.containsKey(dlqId) && dlqId.startsWith(name + "DeadLetterQueue"), dlqId);
      int visibility = ((Number) at(main, "Properties", "VisibilityTimeout")).intValue();
      assertTrue(visibility >= 6 * queueFnTimeout, visibility + " < 6 x " + queueFnTimeout);
    }
    assertEquals(
        3, ((Number) at(map(tpl.get("Parameters")), "MaxReceiveCount", "Default")).intValue());
    template.resourceCountIs("AWS::SQS::QueuePolicy", 4); // enforceSsl on every queue
  }

  @Test
  void queueFunctionAliasConsumesTheQueueWithPartialBatchFailures() {
    template.hasResourceProperties(
        "AWS::Lambda::EventSourceMapping",
        Map.of(
            "FunctionResponseTypes", List.of("ReportBatchItemFailures"),
            "EventSourceArn",
                Map.of("Fn::GetAtt", List.of(Match.stringLikeRegexp("JobsQueue.*"), "Arn"))));
    // Batch steps: one chunk per invocation, so that a chunk has the whole timeout.
    template.hasResourceProperties(
        "AWS::Lambda::EventSourceMapping",
        Map.of(
            "FunctionResponseTypes", List.of("ReportBatchItemFailures"),
            "BatchSize", 1,
            "EventSourceArn",
                Map.of("Fn::GetAtt", List.of(Match.stringLikeRegexp("BatchQueue.*"), "Arn"))));
    var mappings = resources(tpl, "AWS::Lambda::EventSourceMapping").values();
    assertEquals(2, mappings.size());
    for (var mapping : mappings) {
      String target = toJson(at(mapping, "Properties", "FunctionName"));
      assertTrue(
          target.contains("QueueFunctionLive") && target.contains(":live"),
          "must target the alias: " + target);
    }
  }

  @Test
  void functionsGetTheRuntimeEnvironment() {
    for (var e : resources(tpl, "AWS::Lambda::Function").entrySet()) {
      var env = map(at(e.getValue(), "Properties", "Environment", "Variables"));
      assertTrue(toJson(env.get("MAAS_MODEL_STORE")).contains("ModelPrefix"), e.getKey());
      assertEquals("/tmp/maas-cache", env.get("MAAS_CACHE_DIR"));
      assertEquals("cache", env.get("MAAS_LOAD_MODE"));
      // Preloading belongs in a SnapStart snapshot; the streaming function has none.
      assertEquals(
          e.getKey().startsWith("StreamFunction") ? "false" : "true", env.get("MAAS_PRELOAD"));
      assertEquals("/tmp/djl", env.get("DJL_CACHE_DIR"));
      assertFalse(
          env.containsKey("MAAS_QUEUE_URL"),
          "MAAS_QUEUE_URL would start the polling worker in Lambda");
      assertFalse(env.containsKey("MAAS_TRAIN_TIME_LIMIT"), "the Lambda zips do not train");
      if (e.getKey().startsWith("QueueFunction")) {
        assertTrue(toJson(env.get("MAAS_RESULTS_URI")).contains("ResultsPrefix"));
      }
      if (e.getKey().startsWith("StreamFunction")) {
        assertFalse(env.containsKey("MAAS_BATCH_STORE"), "the streaming function has no batches");
      } else {
        // Without a batch queue the HTTP function would run batches inside itself.
        assertTrue(toJson(env.get("MAAS_BATCH_STORE")).contains("BatchPrefix"), e.getKey());
        assertTrue(toJson(env.get("MAAS_BATCH_QUEUE_URL")).contains("BatchQueue"), e.getKey());
      }
    }
  }

  @Test
  void alarmsCoverErrorsThrottlesP99AndDlqDepth() {
    var alarms = resources(tpl, "AWS::CloudWatch::Alarm").values();
    for (String fn : List.of("HttpFunction", "QueueFunction")) {
      for (String metric : List.of("Errors", "Throttles", "Duration")) {
        long n =
            alarms.stream()
                .filter(
                    a ->
                        metric.equals(at(a, "Properties", "MetricName"))
                            && toJson(at(a, "Properties", "Dimensions")).contains(fn))
                .count();
        assertEquals(1, n, fn + " " + metric);
      }
    }
    assertEquals(
        2,
        alarms.stream()
            .filter(a -> "p99".equals(at(a, "Properties", "ExtendedStatistic")))
            .count());
    template.hasResourceProperties(
        "AWS::CloudWatch::Alarm",
        Map.of(
            "Namespace", "AWS/SQS",
            "MetricName", "ApproximateNumberOfMessagesVisible",
            "Threshold", 0,
            "ComparisonOperator", "GreaterThanThreshold",
            "Dimensions",
                List.of(
                    Map.of(
                        "Name",
                        "QueueName",
                        "Value",
                        Map.of(
                            "Fn::GetAtt",
                            List.of(
                                Match.stringLikeRegexp("JobsDeadLetterQueue.*"), "QueueName"))))));
    template.hasResourceProperties(
        "AWS::CloudWatch::Alarm",
        Map.of(
            "MetricName",
            "ApproximateNumberOfMessagesVisible",
            "Dimensions",
            List.of(
                Map.of(
                    "Name",
                    "QueueName",
                    "Value",
                    Map.of(
                        "Fn::GetAtt",
                        List.of(Match.stringLikeRegexp("BatchDeadLetterQueue.*"), "QueueName"))))));
  }

  @Test
  void everyRouteIsProtectedByIamByDefault() {
    var routes = resources(tpl, "AWS::ApiGatewayV2::Route");
    Set<String> keys =
        routes.values().stream()
            .map(r -> (String) at(r, "Properties", "RouteKey"))
            .collect(Collectors.toCollection(TreeSet::new));
    assertEquals(
        new TreeSet<>(
            Set.of(
                "POST /embed",
                "POST /v1/embeddings",
                "GET /v1/models",
                "POST /v1/completions",
                "POST /v1/chat/completions",
                "POST /predict",
                "POST /classify",
                "POST /rerank",
                "POST /v1/rerank",
                "POST /answer",
                "POST /explain",
                "GET /info",
                "POST /v1/files",
                "GET /v1/files",
                "GET /v1/files/{id}",
                "GET /v1/files/{id}/content",
                "DELETE /v1/files/{id}",
                "POST /v1/batches",
                "GET /v1/batches",
                "GET /v1/batches/{id}",
                "POST /v1/batches/{id}/cancel")),
        keys);
    for (var r : routes.values()) {
      assertEquals("AWS_IAM", at(r, "Properties", "AuthorizationType"), toJson(r));
    }
    template.resourceCountIs("AWS::ApiGatewayV2::Authorizer", 0);
    // the integration targets the live alias, so canary traffic shifting applies to API calls
    template.hasResourceProperties(
        "AWS::ApiGatewayV2::Integration",
        Map.of(
            "IntegrationUri",
            Map.of("Ref", Match.stringLikeRegexp("HttpFunctionLive.*")),
            "PayloadFormatVersion",
            "2.0"));
  }

  @Test
  void outputsApiQueueAndBuckets() {
    var outputs = map(tpl.get("Outputs")).keySet();
    assertTrue(
        outputs.containsAll(
            Set.of(
                "ApiUrl",
                "QueueUrl",
                "DeadLetterQueueUrl",
                "ModelBucketName",
                "ResultsBucketName",
                "ModelStoreUri",
                "ResultsUri",
                "BatchStoreUri",
                "BatchQueueUrl",
                "BatchDeadLetterQueueUrl")),
        outputs.toString());
    assertNotNull(at(map(tpl.get("Parameters")), "ModelPrefix", "AllowedPattern"));
  }
}
