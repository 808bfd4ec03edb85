package io.maaskit.infra;

import static io.maaskit.infra.MaasConstructs.QUARKUS_HANDLER;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.CfnParameter;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.services.apigateway.RestApi;
import software.amazon.awscdk.services.apigatewayv2.HttpApi;
import software.amazon.awscdk.services.lambda.Alias;
import software.amazon.awscdk.services.lambda.CfnParametersCodeProps;
import software.amazon.awscdk.services.lambda.Code;
import software.amazon.awscdk.services.lambda.Function;
import software.amazon.awscdk.services.lambda.FunctionUrl;
import software.amazon.awscdk.services.lambda.FunctionUrlAuthType;
import software.amazon.awscdk.services.lambda.FunctionUrlOptions;
import software.amazon.awscdk.services.lambda.InvokeMode;
import software.amazon.awscdk.services.lambda.Runtime;
import software.amazon.awscdk.services.lambda.SnapStartConf;
import software.amazon.awscdk.services.lambda.VersionOptions;
import software.amazon.awscdk.services.lambda.eventsources.SqsEventSource;
import software.amazon.awscdk.services.s3.Bucket;
import software.amazon.awscdk.services.sqs.Queue;
import software.constructs.Construct;

/**
 * The serverless (CPU zip) variant, equivalent to {@code sam-template.yaml}: a model bucket, the
 * HTTP function behind an HTTP API (SnapStart, alias {@code live}, CodeDeploy canary rolled back by
 * alarms), the streaming function behind a Function URL and a REST API that stream, and the SQS
 * queue function with a dead-letter queue. The Files and Batches APIs keep their objects under the
 * batch prefix and send their steps to a batch queue of their own, which the queue function also
 * consumes; neither function gets more than that prefix and that queue for them.
 */
public class MaasServerlessStack extends Stack {

  public static final Duration HTTP_TIMEOUT = Duration.seconds(30);
  public static final Duration QUEUE_TIMEOUT = Duration.seconds(120);

  /** Lambda's longest invocation, which a streamed answer may use. */
  public static final Duration STREAM_TIMEOUT = Duration.minutes(15);

  /**
   * AWS guidance for SQS event sources: visibility timeout at least six times the function timeout.
   */
  public static final Duration QUEUE_VISIBILITY = Duration.seconds(6 * 120);

  /** The queue function's handler: Quarkus's, with the invocation's deadline noted first. */
  public static final String QUEUE_HANDLER = "io.maaskit.functions.queue.SqsHandler::handleRequest";

  private final Bucket modelBucket;
  private final Function httpFunction;
  private final Function queueFunction;
  private final Alias httpAlias;
  private final Alias queueAlias;
  private final Queue queue;
  private final Queue deadLetterQueue;
  private final Queue batchQueue;
  private final Queue batchDeadLetterQueue;
  private final HttpApi api;
  private final Function streamFunction;
  private final Alias streamAlias;
  private final FunctionUrl streamUrl;
  private final RestApi streamApi;

  public MaasServerlessStack(Construct scope, String id, StackProps props, InfraSettings settings) {
    super(scope, id, props);

    CfnParameter modelPrefix =
        MaasConstructs.prefixParameter(
            this,
            "ModelPrefix",
            "models/",
            "Key prefix of the model store inside the created model bucket"
                + " (MAAS_MODEL_STORE=s3://bucket/prefix)");
    CfnParameter resultsPrefix =
        MaasConstructs.prefixParameter(
            this,
            "ResultsPrefix",
            "results/",
            "Key prefix, in the same bucket, where the queue function writes results"
                + " (MAAS_RESULTS_URI)");
    CfnParameter batchPrefix =
        MaasConstructs.prefixParameter(
            this,
            "BatchPrefix",
            "batches/",
            "Key prefix, in the same bucket, of the Files and Batches APIs: files, batch states,"
                + " chunks and results (MAAS_BATCH_STORE)");
    CfnParameter memorySize =
        MaasConstructs.numberParameter(
            this,
            "MemorySize",
            2048,
            512,
            10240,
            "Memory (MB) of both functions; CPU share grows with memory");
    CfnParameter maxReceiveCount =
        MaasConstructs.numberParameter(
            this,
            "MaxReceiveCount",
            3,
            1,
            1000,
            "Receives of a job before it moves to the dead-letter queue");

    modelBucket = MaasConstructs.secureBucket(this, "ModelBucket");
    String modelStore = MaasConstructs.s3Uri(modelBucket, modelPrefix.getValueAsString());
    String resultsUri = MaasConstructs.s3Uri(modelBucket, resultsPrefix.getValueAsString());
    String batchStore = MaasConstructs.s3Uri(modelBucket, batchPrefix.getValueAsString());

    LambdaCode code = lambdaCode(settings);

    // One message per batch step: the HTTP function sends a batch's validation, the queue function
    // the chunks a validation splits its file into.
    MaasConstructs.JobQueues batchQueues =
        MaasConstructs.jobQueues(
            this,
            "BatchQueue",
            "BatchDeadLetterQueue",
            QUEUE_VISIBILITY,
            maxReceiveCount.getValueAsNumber());
    batchQueue = batchQueues.queue();
    batchDeadLetterQueue = batchQueues.deadLetterQueue();

    // ---------------------------------------------------------------- HTTP function
    httpFunction =
        Function.Builder.create(this, "HttpFunction")
            .description("maaskit HTTP inference (Quarkus Funqy, ONNX Runtime CPU)")
            .runtime(Runtime.JAVA_21)
            .handler(QUARKUS_HANDLER)
            .code(code.http())
            .architecture(settings.architecture())
            .memorySize(memorySize.getValueAsNumber())
            .timeout(HTTP_TIMEOUT)
            .snapStart(SnapStartConf.ON_PUBLISHED_VERSIONS)
            .environment(MaasConstructs.lambdaEnvironment(modelStore, true))
            .logGroup(MaasConstructs.logGroup(this, "HttpFunctionLogs"))
            .currentVersionOptions(
                VersionOptions.builder().description(code.httpIdentity()).build())
            .build();
    httpFunction.addEnvironment("DJL_CACHE_DIR", "/tmp/djl");
    MaasConstructs.acknowledgeSnapStartPublish(httpFunction);
    MaasConstructs.readPrefix(modelBucket, modelPrefix.getValueAsString())
        .forEach(httpFunction::addToRolePolicy);
    // The Files and Batches APIs: upload, download, delete and batch states; send validations.
    MaasConstructs.batchAccess(
            modelBucket, batchPrefix.getValueAsString(), batchQueue, true, batchStore)
        .apply(httpFunction);
    httpAlias =
        MaasConstructs.liveAlias(this, "HttpFunctionLive", httpFunction.getCurrentVersion());
    var httpAlarms = MaasConstructs.functionAlarms(this, "HttpFunction", httpAlias, HTTP_TIMEOUT);
    MaasConstructs.canary(
        this,
        "HttpFunctionDeployment",
        httpAlias,
        List.of(httpAlarms.errors(), httpAlarms.p99Duration()));

    api = MaasConstructs.httpApi(this, "HttpApi", httpAlias, settings, MaasConstructs.ROUTES);

    // ---------------------------------------------------------------- streaming function
    // The same zip with its own Runtime API loop (the zip's stream-runtime wrapper starts
    // StreamingRuntime), behind a Function URL and a REST API that stream; HTTP APIs cannot. No
    // SnapStart (README, "Streaming from Lambda"), so nothing is preloaded during init.
    streamFunction =
        Function.Builder.create(this, "StreamFunction")
            .description(
                "maaskit streaming generation (Runtime API response streaming, ONNX Runtime CPU)")
            .runtime(Runtime.JAVA_21)
            .handler(QUARKUS_HANDLER)
            .code(code.http())
            .architecture(settings.architecture())
            .memorySize(memorySize.getValueAsNumber())
            .timeout(STREAM_TIMEOUT)
            .environment(MaasConstructs.lambdaEnvironment(modelStore, false))
            .logGroup(MaasConstructs.logGroup(this, "StreamFunctionLogs"))
            .currentVersionOptions(
                VersionOptions.builder().description(code.httpIdentity()).build())
            .build();
    streamFunction.addEnvironment("DJL_CACHE_DIR", "/tmp/djl");
    streamFunction.addEnvironment("AWS_LAMBDA_EXEC_WRAPPER", MaasConstructs.STREAM_WRAPPER);
    MaasConstructs.readPrefix(modelBucket, modelPrefix.getValueAsString())
        .forEach(streamFunction::addToRolePolicy);
    streamAlias =
        MaasConstructs.liveAlias(this, "StreamFunctionLive", streamFunction.getCurrentVersion());
    streamUrl =
        streamAlias.addFunctionUrl(
            FunctionUrlOptions.builder()
                .authType(FunctionUrlAuthType.AWS_IAM)
                .invokeMode(InvokeMode.RESPONSE_STREAM)
                .build());
    streamApi = MaasConstructs.streamingRestApi(this, "StreamApi", streamAlias, settings);

    // ---------------------------------------------------------------- queue + queue function
    MaasConstructs.JobQueues jobs =
        MaasConstructs.jobQueues(
            this,
            "JobsQueue",
            "JobsDeadLetterQueue",
            QUEUE_VISIBILITY,
            maxReceiveCount.getValueAsNumber());
    queue = jobs.queue();
    deadLetterQueue = jobs.deadLetterQueue();

    queueFunction =
        Function.Builder.create(this, "QueueFunction")
            .description("maaskit batch inference from SQS (Quarkus Funqy, ONNX Runtime CPU)")
            .runtime(Runtime.JAVA_21)
            .handler(QUEUE_HANDLER)
            .code(code.queue())
            .architecture(settings.architecture())
            .memorySize(memorySize.getValueAsNumber())
            .timeout(QUEUE_TIMEOUT)
            .snapStart(SnapStartConf.ON_PUBLISHED_VERSIONS)
            .environment(MaasConstructs.lambdaEnvironment(modelStore, true))
            .logGroup(MaasConstructs.logGroup(this, "QueueFunctionLogs"))
            .currentVersionOptions(
                VersionOptions.builder().description(code.queueIdentity()).build())
            .build();
    queueFunction.addEnvironment("DJL_CACHE_DIR", "/tmp/djl");
    MaasConstructs.acknowledgeSnapStartPublish(queueFunction);
    queueFunction.addEnvironment("MAAS_RESULTS_URI", resultsUri);
    // Read only: the Lambda zip carries no training, so the queue function publishes no packages.
    MaasConstructs.readPrefix(modelBucket, modelPrefix.getValueAsString())
        .forEach(queueFunction::addToRolePolicy);
    MaasConstructs.readWritePrefix(modelBucket, resultsPrefix.getValueAsString())
        .forEach(queueFunction::addToRolePolicy);
    // Batch steps: read files and chunks, write results and states (no delete); a validation
    // fans out its chunks to the batch queue.
    MaasConstructs.batchAccess(
            modelBucket, batchPrefix.getValueAsString(), batchQueue, false, batchStore)
        .apply(queueFunction);
    queueAlias =
        MaasConstructs.liveAlias(this, "QueueFunctionLive", queueFunction.getCurrentVersion());
    queueAlias.addEventSource(
        SqsEventSource.Builder.create(queue).batchSize(5).reportBatchItemFailures(true).build());
    // One step (a chunk) per invocation, so a chunk has the whole timeout.
    queueAlias.addEventSource(
        SqsEventSource.Builder.create(batchQueue)
            .batchSize(1)
            .reportBatchItemFailures(true)
            .build());
    MaasConstructs.functionAlarms(this, "QueueFunction", queueAlias, QUEUE_TIMEOUT);
    MaasConstructs.dlqDepthAlarm(this, "DeadLetterQueueDepthAlarm", deadLetterQueue);
    MaasConstructs.dlqDepthAlarm(this, "BatchDeadLetterQueueDepthAlarm", batchDeadLetterQueue);

    // ---------------------------------------------------------------- outputs
    CfnOutput.Builder.create(this, "ApiUrl")
        .description("HTTP API endpoint")
        .value(api.getApiEndpoint())
        .build();
    CfnOutput.Builder.create(this, "StreamApiUrl")
        .description("REST API endpoint of the streaming routes")
        .value(streamApi.getUrl())
        .build();
    CfnOutput.Builder.create(this, "StreamFunctionUrl")
        .description("Function URL of the streaming function (IAM auth, RESPONSE_STREAM)")
        .value(streamUrl.getUrl())
        .build();
    CfnOutput.Builder.create(this, "QueueUrl")
        .description("Jobs queue URL")
        .value(queue.getQueueUrl())
        .build();
    CfnOutput.Builder.create(this, "DeadLetterQueueUrl")
        .value(deadLetterQueue.getQueueUrl())
        .build();
    CfnOutput.Builder.create(this, "ModelBucketName").value(modelBucket.getBucketName()).build();
    CfnOutput.Builder.create(this, "ResultsBucketName")
        .description("Results live under ResultsPrefix in the model bucket")
        .value(modelBucket.getBucketName())
        .build();
    CfnOutput.Builder.create(this, "ModelStoreUri").value(modelStore).build();
    CfnOutput.Builder.create(this, "ResultsUri").value(resultsUri).build();
    CfnOutput.Builder.create(this, "BatchStoreUri")
        .description("Files and batches (MAAS_BATCH_STORE)")
        .value(batchStore)
        .build();
    CfnOutput.Builder.create(this, "BatchQueueUrl")
        .description("Batch steps queue URL (MAAS_BATCH_QUEUE_URL)")
        .value(batchQueue.getQueueUrl())
        .build();
    CfnOutput.Builder.create(this, "BatchDeadLetterQueueUrl")
        .value(batchDeadLetterQueue.getQueueUrl())
        .build();
  }

  /**
   * Code of the two functions and a string that changes whenever the code does (forces a new
   * published version).
   */
  private record LambdaCode(Code http, String httpIdentity, Code queue, String queueIdentity) {}

  private LambdaCode lambdaCode(InfraSettings settings) {
    Path httpZip = Path.of(settings.functionsDir(), "http-lambda", "target", "function.zip");
    Path queueZip = Path.of(settings.functionsDir(), "queue-lambda", "target", "function.zip");
    boolean zipsPresent = Files.isRegularFile(httpZip) && Files.isRegularFile(queueZip);
    InfraSettings.CodeSource source = settings.codeSource();
    if (source == InfraSettings.CodeSource.AUTO) {
      source = zipsPresent ? InfraSettings.CodeSource.ASSET : InfraSettings.CodeSource.BUCKET;
    }
    if (source == InfraSettings.CodeSource.ASSET) {
      if (!zipsPresent) {
        throw new IllegalStateException(
            "maas:codeSource=asset but "
                + httpZip
                + " / "
                + queueZip
                + " are missing: build them first (mvn -pl"
                + " functions/http-lambda,functions/queue-lambda -am package) or use -c"
                + " maas:codeSource=bucket");
      }
      // asset hashes change the version's logical id, so the description needs no code identity
      return new LambdaCode(
          Code.fromAsset(httpZip.toString()),
          "maaskit http (asset)",
          Code.fromAsset(queueZip.toString()),
          "maaskit queue (asset)");
    }
    CfnParameter artifactBucket =
        MaasConstructs.stringParameter(
            this,
            "ArtifactBucketName",
            null,
            "Bucket holding the prebuilt function zips (codeSource=bucket)");
    CfnParameter httpKey =
        MaasConstructs.stringParameter(
            this,
            "HttpFunctionZipKey",
            null,
            "Key of functions/http-lambda/target/function.zip; use a new key per build (e.g. with"
                + " the git sha)");
    CfnParameter queueKey =
        MaasConstructs.stringParameter(
            this,
            "QueueFunctionZipKey",
            null,
            "Key of functions/queue-lambda/target/function.zip; use a new key per build (e.g. with"
                + " the git sha)");
    Code http =
        Code.fromCfnParameters(
            CfnParametersCodeProps.builder()
                .bucketNameParam(artifactBucket)
                .objectKeyParam(httpKey)
                .build());
    Code queueCode =
        Code.fromCfnParameters(
            CfnParametersCodeProps.builder()
                .bucketNameParam(artifactBucket)
                .objectKeyParam(queueKey)
                .build());
    // A published version is only replaced when one of its properties changes: tie the description
    // to the key.
    return new LambdaCode(
        http,
        "maaskit http s3://" + artifactBucket.getValueAsString() + "/" + httpKey.getValueAsString(),
        queueCode,
        "maaskit queue s3://"
            + artifactBucket.getValueAsString()
            + "/"
            + queueKey.getValueAsString());
  }

  public Bucket modelBucket() {
    return modelBucket;
  }

  public Function httpFunction() {
    return httpFunction;
  }

  public Function streamFunction() {
    return streamFunction;
  }

  public Alias streamAlias() {
    return streamAlias;
  }

  public RestApi streamApi() {
    return streamApi;
  }

  public Function queueFunction() {
    return queueFunction;
  }

  public Alias httpAlias() {
    return httpAlias;
  }

  public Alias queueAlias() {
    return queueAlias;
  }

  public Queue queue() {
    return queue;
  }

  public Queue deadLetterQueue() {
    return deadLetterQueue;
  }

  public Queue batchQueue() {
    return batchQueue;
  }

  public Queue batchDeadLetterQueue() {
    return batchDeadLetterQueue;
  }

  public HttpApi api() {
    return api;
  }
}
