package io.maaskit.infra;

import static io.maaskit.infra.InfraTestSupport.HANDLER;
import static io.maaskit.infra.InfraTestSupport.at;
import static io.maaskit.infra.InfraTestSupport.list;
import static io.maaskit.infra.InfraTestSupport.map;
import static io.maaskit.infra.InfraTestSupport.resources;
import static io.maaskit.infra.InfraTestSupport.restApiRoutes;
import static io.maaskit.infra.InfraTestSupport.toJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.maaskit.functions.routes.Routes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Structure of {@code sam-template.yaml}. The CloudFormation validator checks its plain
 * CloudFormation resources but does not expand AWS::Serverless::* resources, so those are checked
 * here (including an allow-list of property names against typos), and the access-control conditions
 * are evaluated for each parameter combination.
 */
class SamTemplateTest {

  static final Path SAM = NodeTooling.REPO_ROOT.resolve("sam-template.yaml");
  static Map<String, Object> tpl;

  static Map<String, Object> load() throws IOException {
    return map(new ObjectMapper(new YAMLFactory()).readValue(SAM.toFile(), Map.class));
  }

  @BeforeAll
  static void read() throws IOException {
    tpl = load();
  }

  @Test
  void isASamTemplateInLongFormIntrinsics() throws IOException {
    assertEquals("AWS::Serverless-2016-10-31", tpl.get("Transform"));
    var shortForm =
        Pattern.compile(
            "(^|[\\s:\\[,-])!(Ref|Sub|GetAtt|If|Join|Select|Split|Equals|Not|And|Or|"
                + "Condition|FindInMap|ImportValue|Base64|Cidr|GetAZs)\\b",
            Pattern.MULTILINE);
    var m = shortForm.matcher(Files.readString(SAM));
    assertFalse(
        m.find(),
        "use the long form (Ref:/Fn::Sub:), not YAML tags: " + (m.hitEnd() ? "" : m.group()));
  }

  @Test
  void parametersAndDefaults() {
    var p = map(tpl.get("Parameters"));
    assertEquals(
        Set.of(
            "ModelPrefix",
            "ResultsPrefix",
            "BatchPrefix",
            "MemorySize",
            "Architecture",
            "MaxReceiveCount",
            "AllowAnonymous",
            "JwtIssuer",
            "JwtAudience"),
        p.keySet());
    assertEquals(2048, at(p, "MemorySize", "Default"));
    assertEquals(3, at(p, "MaxReceiveCount", "Default"));
    assertEquals("false", at(p, "AllowAnonymous", "Default"));
    assertEquals("", at(p, "JwtIssuer", "Default"));
    assertEquals(List.of("x86_64", "arm64"), at(p, "Architecture", "AllowedValues"));
    assertEquals("x86_64", at(p, "Architecture", "Default"));
    assertEquals("batches/", at(p, "BatchPrefix", "Default"));
    for (String prefix : List.of("ModelPrefix", "ResultsPrefix", "BatchPrefix")) {
      assertEquals(
          MaasConstructs.PREFIX_PATTERN,
          at(p, prefix, "AllowedPattern"),
          "same rule as the CDK stacks");
    }
  }

  @Test
  void functionsAreJava21QuarkusZipsPublishedAsLive() {
    var functions = resources(tpl, "AWS::Serverless::Function");
    assertEquals(Set.of("HttpFunction", "QueueFunction", "StreamFunction"), functions.keySet());
    assertEquals(
        "functions/http-lambda/target/function.zip",
        at(functions.get("HttpFunction"), "Properties", "CodeUri"));
    assertEquals(
        "functions/http-lambda/target/function.zip",
        at(functions.get("StreamFunction"), "Properties", "CodeUri"));
    assertEquals(
        "functions/queue-lambda/target/function.zip",
        at(functions.get("QueueFunction"), "Properties", "CodeUri"));
    assertEquals(HANDLER, at(functions.get("HttpFunction"), "Properties", "Handler"));
    assertEquals(
        "io.maaskit.functions.queue.SqsHandler::handleRequest",
        at(functions.get("QueueFunction"), "Properties", "Handler"));
    // The streaming function: its own Runtime API loop started by the zip's wrapper script, a
    // Function URL that streams, behind IAM; SnapStart does not apply to it (README).
    var stream = map(at(functions.get("StreamFunction"), "Properties"));
    assertEquals(
        "/var/task/stream-runtime",
        at(stream, "Environment", "Variables", "AWS_LAMBDA_EXEC_WRAPPER"));
    assertEquals(
        Map.of("AuthType", "AWS_IAM", "InvokeMode", "RESPONSE_STREAM"),
        stream.get("FunctionUrlConfig"));
    assertNull(stream.get("SnapStart"));
    assertEquals(900, stream.get("Timeout"), "streams may run to Lambda's 15 minutes");
    for (var e : functions.entrySet()) {
      var props = map(e.getValue().get("Properties"));
      assertEquals("java21", props.get("Runtime"));
      if (!e.getKey().equals("StreamFunction")) {
        assertEquals(Map.of("ApplyOn", "PublishedVersions"), props.get("SnapStart"));
      }
      assertEquals("live", props.get("AutoPublishAlias"));
      assertEquals(Map.of("Ref", "MemorySize"), props.get("MemorySize"));
      assertEquals(List.of(Map.of("Ref", "Architecture")), props.get("Architectures"));
    }
  }

  @Test
  void httpFunctionCanaryRollsBackOnAlarmsDefinedInTheTemplate() {
    var pref = map(at(tpl, "Resources", "HttpFunction", "Properties", "DeploymentPreference"));
    assertEquals("Canary10Percent5Minutes", pref.get("Type"));
    var alarms = list(pref.get("Alarms"));
    assertFalse(alarms.isEmpty());
    var resources = map(tpl.get("Resources"));
    for (Object a : alarms) {
      String ref = (String) at(a, "Ref");
      assertEquals("AWS::CloudWatch::Alarm", at(resources, ref, "Type"), ref);
    }
  }

  @Test
  void environmentMatchesWhatTheFunctionsRead() {
    for (String fn : List.of("HttpFunction", "QueueFunction", "StreamFunction")) {
      var env = map(at(tpl, "Resources", fn, "Properties", "Environment", "Variables"));
      assertEquals(
          Map.of("Fn::Sub", "s3://${ModelBucket}/${ModelPrefix}"), env.get("MAAS_MODEL_STORE"));
      assertEquals("/tmp/maas-cache", env.get("MAAS_CACHE_DIR"));
      assertEquals("cache", env.get("MAAS_LOAD_MODE"));
      // Preloading belongs in the SnapStart snapshot; the streaming function has none.
      assertEquals(fn.equals("StreamFunction") ? "false" : "true", env.get("MAAS_PRELOAD"));
      assertEquals("/tmp/djl", env.get("DJL_CACHE_DIR"));
      assertFalse(env.containsKey("MAAS_QUEUE_URL"));
      assertFalse(env.containsKey("MAAS_TRAIN_TIME_LIMIT"), fn + ": the Lambda zips do not train");
      // same variables as the CDK stack
      var cdkEnv = MaasConstructs.lambdaEnvironment("x", true).keySet();
      assertTrue(env.keySet().containsAll(cdkEnv), fn + " lacks some of " + cdkEnv);
      if (fn.equals("StreamFunction")) {
        assertFalse(env.containsKey("MAAS_BATCH_STORE"), "the streaming function has no batches");
      } else {
        // Without a batch queue the HTTP function would run batches inside itself.
        assertEquals(
            Map.of("Fn::Sub", "s3://${ModelBucket}/${BatchPrefix}"), env.get("MAAS_BATCH_STORE"));
        assertEquals(Map.of("Ref", "BatchQueue"), env.get("MAAS_BATCH_QUEUE_URL"));
      }
    }
    assertEquals(
        Map.of("Fn::Sub", "s3://${ModelBucket}/${ResultsPrefix}"),
        at(
            tpl,
            "Resources",
            "QueueFunction",
            "Properties",
            "Environment",
            "Variables",
            "MAAS_RESULTS_URI"));
  }

  @Test
  void queueFunctionReportsBatchItemFailuresAndQueueHasADlq() {
    var events = map(at(tpl, "Resources", "QueueFunction", "Properties", "Events"));
    assertEquals(Set.of("Jobs", "BatchSteps"), events.keySet());
    for (String queue : List.of("JobsQueue", "BatchQueue")) {
      var sqs =
          map(events.get(queue.equals("JobsQueue") ? "Jobs" : "BatchSteps")); // one event each
      assertEquals("SQS", sqs.get("Type"));
      assertEquals(
          List.of("ReportBatchItemFailures"), at(sqs, "Properties", "FunctionResponseTypes"));
      assertEquals(Map.of("Fn::GetAtt", List.of(queue, "Arn")), at(sqs, "Properties", "Queue"));

      var redrive = map(at(tpl, "Resources", queue, "Properties", "RedrivePolicy"));
      assertEquals(Map.of("Ref", "MaxReceiveCount"), redrive.get("maxReceiveCount"));
      assertEquals(
          Map.of("Fn::GetAtt", List.of(queue.replace("Queue", "") + "DeadLetterQueue", "Arn")),
          redrive.get("deadLetterTargetArn"));
      int visibility =
          ((Number) at(tpl, "Resources", queue, "Properties", "VisibilityTimeout")).intValue();
      int timeout =
          ((Number) at(tpl, "Resources", "QueueFunction", "Properties", "Timeout")).intValue();
      assertTrue(visibility >= 6 * timeout, visibility + " < 6 x " + timeout);
    }
    assertEquals(1, at(events.get("BatchSteps"), "Properties", "BatchSize"), "a chunk a call");
    // TLS only on every queue
    assertEquals(
        Set.of("JobsQueue", "JobsDeadLetterQueue", "BatchQueue", "BatchDeadLetterQueue"),
        list(at(tpl, "Resources", "JobsQueuesPolicy", "Properties", "Queues")).stream()
            .map(q -> (String) at(q, "Ref"))
            .collect(Collectors.toSet()));
  }

  @Test
  void s3PermissionsAreScopedToPrefixes() {
    assertEquals(List.of(), PolicyChecks.s3WildcardViolations(tpl));
    for (var s : PolicyChecks.statements(tpl)) {
      String resources = toJson(s.resources());
      if (s.actions().contains("s3:ListBucket")) {
        assertTrue(toJson(s.body().get("Condition")).contains("Prefix}*"), s.where());
      } else if (s.actions().stream().anyMatch(a -> a.startsWith("s3:"))) {
        assertTrue(resources.contains("Prefix}*"), s.where() + " " + resources);
      }
    }
    // What each function may do below each prefix: nothing writes models (the zips do not train);
    // only the queue function writes results; the Files and Batches APIs read, write and delete
    // below the batch prefix, their steps read and write there. Same as the CDK stack.
    var s3 =
        PolicyChecks.statements(tpl).stream()
            .filter(s -> s.actions().stream().anyMatch(a -> a.startsWith("s3:")))
            .toList();
    assertEquals(
        Map.of(
            "ModelPrefix", Set.of("s3:GetObject", "s3:ListBucket"),
            "BatchPrefix",
                Set.of("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket")),
        ServerlessStackTest.s3Access(s3, "HttpFunction"));
    assertEquals(
        Map.of(
            "ModelPrefix", Set.of("s3:GetObject", "s3:ListBucket"),
            "ResultsPrefix", Set.of("s3:GetObject", "s3:PutObject", "s3:ListBucket"),
            "BatchPrefix", Set.of("s3:GetObject", "s3:PutObject", "s3:ListBucket")),
        ServerlessStackTest.s3Access(s3, "QueueFunction"));
    assertEquals(
        Map.of("ModelPrefix", Set.of("s3:GetObject", "s3:ListBucket")),
        ServerlessStackTest.s3Access(s3, "StreamFunction"));
  }

  @Test
  void onlyTheBatchQueueIsSentToAndOnlyByTheFunctionsThatRunBatches() {
    Map<String, Object> sends = new java.util.TreeMap<>();
    for (var s : PolicyChecks.statements(tpl)) {
      if (s.actions().stream().anyMatch(a -> a.startsWith("sqs:"))) {
        assertEquals(List.of("sqs:SendMessage"), s.actions(), s.where());
        assertEquals(List.of(Map.of("Fn::GetAtt", List.of("BatchQueue", "Arn"))), s.resources());
        sends.put(s.where().split("/")[0], s.resources());
      }
    }
    // Receiving is the SQS events' (SAM adds the queue poller policy for each event source).
    assertEquals(Set.of("HttpFunction", "QueueFunction"), sends.keySet());
  }

  @Test
  void alarmsCoverErrorsThrottlesP99AndDlqDepth() {
    var alarms = resources(tpl, "AWS::CloudWatch::Alarm").values();
    for (String fn : List.of("HttpFunction", "QueueFunction")) {
      for (String metric : List.of("Errors", "Throttles", "Duration")) {
        assertEquals(
            1,
            alarms.stream()
                .filter(
                    a ->
                        metric.equals(at(a, "Properties", "MetricName"))
                            && toJson(at(a, "Properties", "Dimensions"))
                                .contains("${" + fn + "}:live"))
                .count(),
            fn + " " + metric);
      }
    }
    assertEquals(
        2,
        alarms.stream()
            .filter(a -> "p99".equals(at(a, "Properties", "ExtendedStatistic")))
            .count());
    assertTrue(
        alarms.stream()
            .anyMatch(
                a ->
                    "ApproximateNumberOfMessagesVisible".equals(at(a, "Properties", "MetricName"))
                        && toJson(a).contains("BatchDeadLetterQueue")));
    assertTrue(
        alarms.stream()
            .anyMatch(
                a ->
                    "ApproximateNumberOfMessagesVisible".equals(at(a, "Properties", "MetricName"))
                        && Integer.valueOf(0).equals(at(a, "Properties", "Threshold"))
                        && "GreaterThanThreshold".equals(at(a, "Properties", "ComparisonOperator"))
                        && toJson(a).contains("JobsDeadLetterQueue")));
  }

  @Test
  void routesAreTheRouteTableAndTargetTheLiveAlias() {
    Set<String> template =
        resources(tpl, "AWS::ApiGatewayV2::Route").values().stream()
            .map(r -> (String) at(r, "Properties", "RouteKey"))
            .collect(Collectors.toCollection(TreeSet::new));
    Set<String> table =
        Routes.apiGateway().stream()
            .map(Routes.Route::key)
            .collect(Collectors.toCollection(TreeSet::new));
    Set<String> missing = new TreeSet<>(table);
    missing.removeAll(template);
    Set<String> extra = new TreeSet<>(template);
    extra.removeAll(table);
    assertTrue(
        missing.isEmpty() && extra.isEmpty(),
        "sam-template.yaml's API routes differ from the route table (Routes.apiGateway()): "
            + "in the table but not in the template "
            + missing
            + "; in the template but not in the table "
            + extra);
    Set<String> cdk =
        MaasConstructs.ROUTES.stream()
            .map(r -> r.method() + " " + r.path())
            .collect(Collectors.toCollection(TreeSet::new));
    assertEquals(table, cdk, "the CDK stacks build their routes from the table");
    assertEquals(
        Map.of("Ref", "HttpFunction.Alias"),
        at(tpl, "Resources", "HttpApiIntegration", "Properties", "IntegrationUri"));
    assertEquals(
        Map.of("Ref", "HttpFunction.Alias"),
        at(tpl, "Resources", "HttpApiInvokePermission", "Properties", "FunctionName"));
  }

  @Test
  void streamingRoutesAreTheRouteTablesOnAStreamingRestApi() {
    Set<String> table =
        Routes.streaming().stream()
            .map(Routes.Route::key)
            .collect(Collectors.toCollection(TreeSet::new));
    assertEquals(table, restApiRoutes(tpl), "REST API methods vs Routes.streaming()");
    for (var method : resources(tpl, "AWS::ApiGateway::Method").values()) {
      var integration = map(at(method, "Properties", "Integration"));
      assertEquals("AWS_PROXY", integration.get("Type"));
      assertEquals("STREAM", integration.get("ResponseTransferMode"));
      String uri = toJson(integration.get("Uri"));
      assertTrue(
          uri.contains("2021-11-15/functions/")
              && uri.contains("StreamFunction.Alias")
              && uri.contains("/response-streaming-invocations"),
          uri);
    }
    assertEquals(
        Map.of("Ref", "StreamFunction.Alias"),
        at(tpl, "Resources", "StreamApiInvokePermission", "Properties", "FunctionName"));
  }

  @Test
  void streamingMethodsAreIamUnlessAnonymous() {
    for (var overrides :
        List.of(
            Map.<String, String>of(),
            Map.of("JwtIssuer", "https://issuer.example.com", "JwtAudience", "client"))) {
      var cf = new Conditions(tpl, overrides);
      for (var method : resources(tpl, "AWS::ApiGateway::Method").values()) {
        assertEquals("AWS_IAM", cf.resolve(at(method, "Properties", "AuthorizationType")));
      }
    }
    var anonymous = new Conditions(tpl, Map.of("AllowAnonymous", "true"));
    for (var method : resources(tpl, "AWS::ApiGateway::Method").values()) {
      assertEquals("NONE", anonymous.resolve(at(method, "Properties", "AuthorizationType")));
    }
  }

  @Test
  void accessControlIsIamByDefaultJwtWithAnIssuerAndAnonymousOnlyOnRequest() {
    assertRoutes(Map.of(), "AWS_IAM", false);
    assertRoutes(
        Map.of("JwtIssuer", "https://issuer.example.com", "JwtAudience", "client"), "JWT", true);
    assertRoutes(Map.of("AllowAnonymous", "true"), "NONE", false);
  }

  private static void assertRoutes(
      Map<String, String> overrides, String expectedType, boolean authorizerCreated) {
    var cf = new Conditions(tpl, overrides);
    var authorizer = map(at(tpl, "Resources", "HttpApiJwtAuthorizer"));
    assertEquals(
        authorizerCreated, cf.isTrue((String) authorizer.get("Condition")), overrides.toString());
    for (var route : resources(tpl, "AWS::ApiGatewayV2::Route").values()) {
      assertEquals(
          expectedType,
          cf.resolve(at(route, "Properties", "AuthorizationType")),
          overrides.toString());
      Object authorizerId = cf.resolve(at(route, "Properties", "AuthorizerId"));
      if (authorizerCreated) {
        assertEquals(Map.of("Ref", "HttpApiJwtAuthorizer"), authorizerId);
      } else {
        assertEquals(Map.of("Ref", "AWS::NoValue"), authorizerId);
      }
    }
  }

  @Test
  void samPropertiesAreKnownNames() {
    Set<String> function =
        Set.of(
            "Architectures",
            "AssumeRolePolicyDocument",
            "AutoPublishAlias",
            "AutoPublishAliasAllProperties",
            "AutoPublishCodeSha256",
            "CodeSigningConfigArn",
            "CodeUri",
            "DeadLetterQueue",
            "DeploymentPreference",
            "Description",
            "Environment",
            "EphemeralStorage",
            "EventInvokeConfig",
            "Events",
            "FileSystemConfigs",
            "FunctionName",
            "FunctionUrlConfig",
            "Handler",
            "ImageConfig",
            "ImageUri",
            "InlineCode",
            "KmsKeyArn",
            "Layers",
            "LoggingConfig",
            "MemorySize",
            "PackageType",
            "PermissionsBoundary",
            "Policies",
            "PropagateTags",
            "ProvisionedConcurrencyConfig",
            "RecursiveLoop",
            "ReservedConcurrentExecutions",
            "Role",
            "RolePath",
            "Runtime",
            "RuntimeManagementConfig",
            "SnapStart",
            "SourceKMSKeyArn",
            "Tags",
            "Timeout",
            "Tracing",
            "VersionDescription",
            "VpcConfig");
    Set<String> deployment =
        Set.of(
            "Alarms",
            "Enabled",
            "Hooks",
            "PassthroughCondition",
            "Role",
            "TriggerConfigurations",
            "Type");
    Set<String> sqsEvent =
        Set.of(
            "BatchSize",
            "Enabled",
            "FilterCriteria",
            "FunctionResponseTypes",
            "KmsKeyArn",
            "MaximumBatchingWindowInSeconds",
            "MetricsConfig",
            "ProvisionedPollerConfig",
            "Queue",
            "ScalingConfig");
    for (var e : resources(tpl, "AWS::Serverless::Function").entrySet()) {
      var props = map(e.getValue().get("Properties"));
      assertTrue(
          function.containsAll(props.keySet()),
          e.getKey() + ": unknown SAM property in " + props.keySet());
      if (props.get("DeploymentPreference") != null) {
        assertTrue(deployment.containsAll(map(props.get("DeploymentPreference")).keySet()));
      }
      if (props.get("Events") != null) {
        for (Object ev : map(props.get("Events")).values()) {
          assertEquals("SQS", at(ev, "Type"));
          assertTrue(sqsEvent.containsAll(map(at(ev, "Properties")).keySet()), toJson(ev));
        }
      }
    }
  }

  @Test
  void outputs() {
    assertTrue(
        map(tpl.get("Outputs"))
            .keySet()
            .containsAll(
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
                    "BatchDeadLetterQueueUrl")));
    assertNull(
        at(tpl, "Resources", "HttpApi", "Properties", "Body"),
        "routes are resources, not an OpenAPI body");
  }

  /**
   * Just enough of CloudFormation's condition functions to evaluate this template for given
   * parameters.
   */
  static final class Conditions {
    private final Map<String, Object> template;
    private final Map<String, Object> params = new HashMap<>();

    Conditions(Map<String, Object> template, Map<String, String> overrides) {
      this.template = template;
      map(template.get("Parameters")).forEach((k, v) -> params.put(k, at(v, "Default")));
      params.putAll(overrides);
    }

    boolean isTrue(String condition) {
      return eval(at(template, "Conditions", condition));
    }

    private boolean eval(Object expr) {
      var m = map(expr);
      if (m.containsKey("Fn::Equals")) {
        var args = list(m.get("Fn::Equals"));
        return String.valueOf(value(args.get(0))).equals(String.valueOf(value(args.get(1))));
      }
      if (m.containsKey("Fn::Not")) {
        return !eval(list(m.get("Fn::Not")).get(0));
      }
      if (m.containsKey("Fn::And")) {
        return list(m.get("Fn::And")).stream().allMatch(this::eval);
      }
      if (m.containsKey("Fn::Or")) {
        return list(m.get("Fn::Or")).stream().anyMatch(this::eval);
      }
      if (m.containsKey("Condition")) {
        return isTrue((String) m.get("Condition"));
      }
      throw new AssertionError("unsupported condition " + expr);
    }

    private Object value(Object v) {
      if (v instanceof Map<?, ?> m && m.containsKey("Ref")) {
        return params.get((String) m.get("Ref"));
      }
      return v;
    }

    /** Resolves Fn::If recursively; other values are returned as they are. */
    Object resolve(Object v) {
      if (v instanceof Map<?, ?> m && m.containsKey("Fn::If")) {
        var args = list(m.get("Fn::If"));
        return resolve(isTrue((String) args.get(0)) ? args.get(1) : args.get(2));
      }
      return v;
    }
  }
}
