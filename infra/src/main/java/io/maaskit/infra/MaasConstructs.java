package io.maaskit.infra;

import io.maaskit.functions.routes.Routes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.Annotations;
import software.amazon.awscdk.CfnParameter;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.aws_apigatewayv2_authorizers.HttpIamAuthorizer;
import software.amazon.awscdk.aws_apigatewayv2_authorizers.HttpJwtAuthorizer;
import software.amazon.awscdk.aws_apigatewayv2_integrations.HttpLambdaIntegration;
import software.amazon.awscdk.services.apigateway.AuthorizationType;
import software.amazon.awscdk.services.apigateway.EndpointType;
import software.amazon.awscdk.services.apigateway.LambdaIntegration;
import software.amazon.awscdk.services.apigateway.MethodOptions;
import software.amazon.awscdk.services.apigateway.ResponseTransferMode;
import software.amazon.awscdk.services.apigateway.RestApi;
import software.amazon.awscdk.services.apigateway.StageOptions;
import software.amazon.awscdk.services.apigatewayv2.AddRoutesOptions;
import software.amazon.awscdk.services.apigatewayv2.HttpApi;
import software.amazon.awscdk.services.apigatewayv2.HttpMethod;
import software.amazon.awscdk.services.apigatewayv2.HttpNoneAuthorizer;
import software.amazon.awscdk.services.apigatewayv2.IHttpRouteAuthorizer;
import software.amazon.awscdk.services.cloudwatch.Alarm;
import software.amazon.awscdk.services.cloudwatch.ComparisonOperator;
import software.amazon.awscdk.services.cloudwatch.MetricOptions;
import software.amazon.awscdk.services.cloudwatch.TreatMissingData;
import software.amazon.awscdk.services.codedeploy.LambdaDeploymentConfig;
import software.amazon.awscdk.services.codedeploy.LambdaDeploymentGroup;
import software.amazon.awscdk.services.iam.Effect;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.lambda.Alias;
import software.amazon.awscdk.services.lambda.IFunction;
import software.amazon.awscdk.services.lambda.IVersion;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.amazon.awscdk.services.s3.BlockPublicAccess;
import software.amazon.awscdk.services.s3.Bucket;
import software.amazon.awscdk.services.s3.BucketEncryption;
import software.amazon.awscdk.services.s3.IBucket;
import software.amazon.awscdk.services.s3.ObjectOwnership;
import software.amazon.awscdk.services.sqs.DeadLetterQueue;
import software.amazon.awscdk.services.sqs.IQueue;
import software.amazon.awscdk.services.sqs.Queue;
import software.amazon.awscdk.services.sqs.QueueEncryption;
import software.constructs.Construct;

/**
 * Building blocks shared by the three stacks: guarded buckets, scoped S3 access, alarms, the HTTP
 * API.
 */
public final class MaasConstructs {

  /** Handler of every Quarkus (Funqy / amazon-lambda) function. */
  public static final String QUARKUS_HANDLER =
      "io.quarkus.amazon.lambda.runtime.QuarkusStreamHandler::handleRequest";

  /**
   * The HTTP API routes served by the HTTP function: the API Gateway part of the functions' one
   * route table ({@link Routes#apiGateway()}).
   */
  public static final List<Route> ROUTES =
      Routes.apiGateway().stream()
          .map(r -> new Route(HttpMethod.valueOf(r.method().name()), r.path()))
          .toList();

  /**
   * The HTTP API routes of a function without a batch store and a batch queue (the CPU image
   * stack): {@link #ROUTES} less the Files and Batches APIs, whose batches would otherwise run
   * inside a Lambda function's own {@code /tmp}.
   */
  public static final List<Route> INFERENCE_ROUTES =
      Routes.apiGateway().stream()
          .filter(r -> r.binding() != Routes.Binding.ROUTER)
          .map(r -> new Route(HttpMethod.valueOf(r.method().name()), r.path()))
          .toList();

  /**
   * The streaming function's {@code AWS_LAMBDA_EXEC_WRAPPER}: the zip's script that starts its own
   * Runtime API loop ({@code StreamingRuntime}) in place of the managed runtime's.
   */
  public static final String STREAM_WRAPPER = "/var/task/stream-runtime";

  /**
   * The REST API methods of the streaming function: the route table's streaming routes ({@link
   * Routes#streaming()}).
   */
  public static final List<Route> STREAMING_ROUTES =
      Routes.streaming().stream()
          .map(r -> new Route(HttpMethod.valueOf(r.method().name()), r.path()))
          .toList();

  /** S3 key prefixes: no leading slash, must end with a slash (e.g. {@code models/}). */
  public static final String PREFIX_PATTERN = "^[A-Za-z0-9][A-Za-z0-9!_.*'()/-]*/$";

  public record Route(HttpMethod method, String path) {}

  private MaasConstructs() {}

  public static CfnParameter prefixParameter(
      Construct scope, String id, String defaultValue, String description) {
    return CfnParameter.Builder.create(scope, id)
        .type("String")
        .defaultValue(defaultValue)
        .allowedPattern(PREFIX_PATTERN)
        .constraintDescription(
            "an S3 key prefix without leading slash that ends with '/', e.g. models/")
        .description(description)
        .build();
  }

  public static CfnParameter numberParameter(
      Construct scope, String id, int defaultValue, int min, int max, String description) {
    return CfnParameter.Builder.create(scope, id)
        .type("Number")
        .defaultValue(defaultValue)
        .minValue(min)
        .maxValue(max)
        .description(description)
        .build();
  }

  public static CfnParameter stringParameter(
      Construct scope, String id, String defaultValue, String description) {
    var builder = CfnParameter.Builder.create(scope, id).type("String").description(description);
    if (defaultValue != null) {
      builder.defaultValue(defaultValue);
    } else {
      builder.minLength(1);
    }
    return builder.build();
  }

  /**
   * SSE-S3, versioned, public access blocked, TLS-only bucket policy ({@code
   * aws:SecureTransport=false} denied).
   */
  public static Bucket secureBucket(Construct scope, String id) {
    return Bucket.Builder.create(scope, id)
        .encryption(BucketEncryption.S3_MANAGED)
        .versioned(true)
        .blockPublicAccess(BlockPublicAccess.BLOCK_ALL)
        .objectOwnership(ObjectOwnership.BUCKET_OWNER_ENFORCED)
        .enforceSsl(true)
        .removalPolicy(RemovalPolicy.RETAIN)
        .build();
  }

  /** {@code s3://bucket/prefix} */
  public static String s3Uri(IBucket bucket, String prefix) {
    return "s3://" + bucket.getBucketName() + "/" + prefix;
  }

  /**
   * Read-only access to the objects under {@code prefix}, and listing restricted to that prefix.
   */
  public static List<PolicyStatement> readPrefix(IBucket bucket, String prefix) {
    return List.of(
        PolicyStatement.Builder.create()
            .effect(Effect.ALLOW)
            .actions(List.of("s3:GetObject"))
            .resources(List.of(bucket.arnForObjects(prefix + "*")))
            .build(),
        listPrefix(bucket, prefix));
  }

  /**
   * Read and write the objects under {@code prefix} (results), and listing restricted to that
   * prefix.
   */
  public static List<PolicyStatement> readWritePrefix(IBucket bucket, String prefix) {
    return List.of(
        PolicyStatement.Builder.create()
            .effect(Effect.ALLOW)
            .actions(List.of("s3:GetObject", "s3:PutObject"))
            .resources(List.of(bucket.arnForObjects(prefix + "*")))
            .build(),
        listPrefix(bucket, prefix));
  }

  /**
   * What a function needs for the Files and Batches APIs: read and write (and, for the HTTP
   * function, delete) the objects under the batch prefix, list that prefix, send steps to the batch
   * queue; and the environment that points it there.
   */
  public record BatchAccess(List<PolicyStatement> statements, Map<String, String> environment) {
    /** Adds the statements to the function's role and the variables to its environment. */
    public void apply(software.amazon.awscdk.services.lambda.Function fn) {
      statements.forEach(fn::addToRolePolicy);
      environment.forEach(fn::addEnvironment);
    }
  }

  public static BatchAccess batchAccess(
      IBucket bucket, String prefix, IQueue queue, boolean delete, String storeUri) {
    List<String> objectActions =
        delete
            ? List.of("s3:GetObject", "s3:PutObject", "s3:DeleteObject")
            : List.of("s3:GetObject", "s3:PutObject");
    List<PolicyStatement> statements =
        List.of(
            PolicyStatement.Builder.create()
                .effect(Effect.ALLOW)
                .actions(objectActions)
                .resources(List.of(bucket.arnForObjects(prefix + "*")))
                .build(),
            listPrefix(bucket, prefix),
            PolicyStatement.Builder.create()
                .effect(Effect.ALLOW)
                .actions(List.of("sqs:SendMessage"))
                .resources(List.of(queue.getQueueArn()))
                .build());
    Map<String, String> env = new LinkedHashMap<>();
    env.put("MAAS_BATCH_STORE", storeUri);
    env.put("MAAS_BATCH_QUEUE_URL", queue.getQueueUrl());
    return new BatchAccess(statements, env);
  }

  private static PolicyStatement listPrefix(IBucket bucket, String prefix) {
    return PolicyStatement.Builder.create()
        .effect(Effect.ALLOW)
        .actions(List.of("s3:ListBucket"))
        .resources(List.of(bucket.getBucketArn()))
        .conditions(Map.of("StringLike", Map.of("s3:prefix", List.of(prefix + "*"))))
        .build();
  }

  public static LogGroup logGroup(Construct scope, String id) {
    return LogGroup.Builder.create(scope, id)
        .retention(RetentionDays.ONE_MONTH)
        .removalPolicy(RemovalPolicy.DESTROY)
        .build();
  }

  /** Environment common to both Lambda flavours. */
  public static Map<String, String> lambdaEnvironment(String modelStoreUri, boolean snapStart) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("MAAS_MODEL_STORE", modelStoreUri);
    env.put("MAAS_CACHE_DIR", "/tmp/maas-cache");
    // The zips serve on ONNX Runtime: its natives (21 MB) and the tokenizers' (14 MB) are all that
    // lands in /tmp, so the weights are cached there too (SnapStart allows 512 MB of /tmp and keeps
    // it in the snapshot), memory-mapped instead of copied onto the Java heap.
    env.put("MAAS_LOAD_MODE", "cache");
    env.put("MAAS_PRELOAD", Boolean.toString(snapStart));
    env.put("JAVA_TOOL_OPTIONS", "-XX:+TieredCompilation -XX:TieredStopAtLevel=1");
    return env;
  }

  /** Errors, throttles and p99 duration alarms of one function (or alias). */
  public record FunctionAlarms(Alarm errors, Alarm throttles, Alarm p99Duration) {
    public List<Alarm> all() {
      return List.of(errors, throttles, p99Duration);
    }
  }

  public static FunctionAlarms functionAlarms(
      Construct scope, String idPrefix, IFunction fn, Duration timeout) {
    MetricOptions sum =
        MetricOptions.builder().period(Duration.minutes(1)).statistic("Sum").build();
    Alarm errors =
        Alarm.Builder.create(scope, idPrefix + "ErrorsAlarm")
            .alarmDescription(idPrefix + ": function errors (also rolls back a canary deployment)")
            .metric(fn.metricErrors(sum))
            .threshold(1)
            .comparisonOperator(ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
            .evaluationPeriods(1)
            .treatMissingData(TreatMissingData.NOT_BREACHING)
            .build();
    Alarm throttles =
        Alarm.Builder.create(scope, idPrefix + "ThrottlesAlarm")
            .alarmDescription(idPrefix + ": throttled invocations")
            .metric(fn.metricThrottles(sum))
            .threshold(1)
            .comparisonOperator(ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
            .evaluationPeriods(1)
            .treatMissingData(TreatMissingData.NOT_BREACHING)
            .build();
    Alarm p99 =
        Alarm.Builder.create(scope, idPrefix + "P99DurationAlarm")
            .alarmDescription(idPrefix + ": p99 duration above 80% of the timeout")
            .metric(
                fn.metricDuration(
                    MetricOptions.builder().period(Duration.minutes(1)).statistic("p99").build()))
            .threshold(timeout.toMilliseconds().doubleValue() * 0.8)
            .comparisonOperator(ComparisonOperator.GREATER_THAN_THRESHOLD)
            .evaluationPeriods(3)
            .datapointsToAlarm(2)
            .treatMissingData(TreatMissingData.NOT_BREACHING)
            .build();
    return new FunctionAlarms(errors, throttles, p99);
  }

  /** Any message in the dead-letter queue is an alarm. */
  public static Alarm dlqDepthAlarm(Construct scope, String id, IQueue dlq) {
    return Alarm.Builder.create(scope, id)
        .alarmDescription("Messages in the dead-letter queue " + dlq.getQueueName())
        .metric(
            dlq.metricApproximateNumberOfMessagesVisible(
                MetricOptions.builder().period(Duration.minutes(1)).statistic("Maximum").build()))
        .threshold(0)
        .comparisonOperator(ComparisonOperator.GREATER_THAN_THRESHOLD)
        .evaluationPeriods(1)
        .treatMissingData(TreatMissingData.NOT_BREACHING)
        .build();
  }

  /**
   * CDK warns that SnapStart needs published versions; every SnapStart function here is published
   * through {@code currentVersion} and the {@code live} alias (asserted by the tests).
   */
  public static void acknowledgeSnapStartPublish(IFunction fn) {
    Annotations.of(fn)
        .acknowledgeWarning(
            "@aws-cdk/aws-lambda:snapStartRequirePublish",
            "published through currentVersion and alias live");
  }

  /** Alias {@code live} on the given version. */
  public static Alias liveAlias(Construct scope, String id, IVersion version) {
    return Alias.Builder.create(scope, id).aliasName("live").version(version).build();
  }

  /** CodeDeploy canary (10% for 5 minutes) on the alias, rolled back by the given alarms. */
  public static LambdaDeploymentGroup canary(
      Construct scope, String id, Alias alias, List<Alarm> rollbackAlarms) {
    return LambdaDeploymentGroup.Builder.create(scope, id)
        .alias(alias)
        .deploymentConfig(LambdaDeploymentConfig.CANARY_10_PERCENT_5_MINUTES)
        .alarms(new ArrayList<>(rollbackAlarms))
        .build();
  }

  /**
   * HTTP API in front of {@code target}. Every route is protected by IAM (SigV4) unless a JWT
   * issuer is configured (JWT authorizer) or anonymous access was asked for explicitly.
   */
  public static HttpApi httpApi(
      Construct scope, String id, IFunction target, InfraSettings settings, List<Route> routes) {
    HttpApi api =
        HttpApi.Builder.create(scope, id)
            .description("maaskit model endpoints")
            .defaultAuthorizer(authorizer(settings))
            .build();
    var integration = new HttpLambdaIntegration(id + "Integration", target);
    for (Route route : routes) {
      api.addRoutes(
          AddRoutesOptions.builder()
              .path(route.path())
              .methods(List.of(route.method()))
              .integration(integration)
              .build());
    }
    return api;
  }

  static IHttpRouteAuthorizer authorizer(InfraSettings settings) {
    if (settings.allowAnonymous()) {
      return new HttpNoneAuthorizer();
    }
    if (settings.jwtIssuer() != null) {
      return HttpJwtAuthorizer.Builder.create("JwtAuthorizer", settings.jwtIssuer())
          .jwtAudience(settings.jwtAudience())
          .identitySource(List.of("$request.header.Authorization"))
          .build();
    }
    return new HttpIamAuthorizer();
  }

  /**
   * A REST API whose Lambda proxy integrations stream ({@code responseTransferMode: STREAM}; HTTP
   * APIs cannot) to {@code target}, one method per streaming route: IAM (SigV4) unless anonymous
   * access was asked for. REST APIs have no generic JWT authorizer: with a JWT issuer the streaming
   * routes stay on IAM (README, "Streaming from Lambda").
   */
  public static RestApi streamingRestApi(
      Construct scope, String id, IFunction target, InfraSettings settings) {
    RestApi api =
        RestApi.Builder.create(scope, id)
            .description("maaskit streaming routes (server-sent events)")
            .endpointTypes(List.of(EndpointType.REGIONAL))
            .deployOptions(
                StageOptions.builder()
                    .stageName("live")
                    .throttlingBurstLimit(100)
                    .throttlingRateLimit(50)
                    .build())
            .build();
    var integration =
        LambdaIntegration.Builder.create(target)
            .proxy(true)
            .responseTransferMode(ResponseTransferMode.STREAM)
            .timeout(software.amazon.awscdk.Duration.minutes(15))
            .build();
    AuthorizationType auth =
        settings.allowAnonymous() ? AuthorizationType.NONE : AuthorizationType.IAM;
    for (Route route : STREAMING_ROUTES) {
      api.getRoot()
          .resourceForPath(route.path())
          .addMethod(
              route.method().name(),
              integration,
              MethodOptions.builder().authorizationType(auth).build());
    }
    return api;
  }

  /**
   * A job queue and its dead-letter queue: SSE, TLS-only, redrive after {@code maxReceiveCount}.
   */
  public record JobQueues(Queue queue, Queue deadLetterQueue) {}

  /** Creates {@code <id>} and {@code <dlqId>}; the ids fix the CloudFormation logical ids. */
  public static JobQueues jobQueues(
      Construct scope, String id, String dlqId, Duration visibility, Number maxReceiveCount) {
    Queue dlq =
        Queue.Builder.create(scope, dlqId)
            .retentionPeriod(Duration.days(14))
            .encryption(QueueEncryption.SQS_MANAGED)
            .enforceSsl(true)
            .build();
    Queue queue =
        Queue.Builder.create(scope, id)
            .visibilityTimeout(visibility)
            .retentionPeriod(Duration.days(4))
            .encryption(QueueEncryption.SQS_MANAGED)
            .enforceSsl(true)
            .deadLetterQueue(
                DeadLetterQueue.builder().queue(dlq).maxReceiveCount(maxReceiveCount).build())
            .build();
    return new JobQueues(queue, dlq);
  }
}
