package io.maaskit.infra;

import java.util.LinkedHashMap;
import java.util.List;
import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.CfnParameter;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Size;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.services.apigatewayv2.HttpApi;
import software.amazon.awscdk.services.ecr.IRepository;
import software.amazon.awscdk.services.ecr.Repository;
import software.amazon.awscdk.services.lambda.Alias;
import software.amazon.awscdk.services.lambda.Architecture;
import software.amazon.awscdk.services.lambda.DockerImageCode;
import software.amazon.awscdk.services.lambda.DockerImageFunction;
import software.amazon.awscdk.services.lambda.EcrImageCodeProps;
import software.amazon.awscdk.services.lambda.VersionOptions;
import software.amazon.awscdk.services.s3.Bucket;
import software.amazon.awscdk.services.s3.IBucket;
import software.constructs.Construct;

/**
 * The HTTP function as a CPU container image ({@code infra/docker/cpu/Dockerfile}, pushed to ECR
 * beforehand): for models whose weights plus natives do not fit a 250 MB (unzipped) zip. Images may
 * be up to 10 GB; SnapStart does not apply to images, so cold starts are longer. Synth never builds
 * or pulls the image: repository and tag are stack parameters.
 */
public class MaasCpuImageStack extends Stack {

  public static final Duration TIMEOUT = Duration.seconds(30);

  private final DockerImageFunction function;
  private final Alias alias;
  private final HttpApi api;

  public MaasCpuImageStack(Construct scope, String id, StackProps props, InfraSettings settings) {
    super(scope, id, props);

    CfnParameter repositoryName =
        MaasConstructs.stringParameter(
            this,
            "ImageRepositoryName",
            "maaskit-cpu",
            "ECR repository (same account/region) holding the image built from infra/docker/cpu");
    CfnParameter imageTag =
        MaasConstructs.stringParameter(
            this,
            "ImageTag",
            null,
            "Image tag or digest (sha256:...) to deploy; use a new tag per build");
    CfnParameter modelBucketName =
        MaasConstructs.stringParameter(
            this,
            "ModelBucketName",
            null,
            "Existing bucket holding the model store (e.g. the ModelBucketName output of"
                + " MaasServerlessStack)");
    CfnParameter modelPrefix =
        MaasConstructs.prefixParameter(
            this, "ModelPrefix", "models/", "Key prefix of the model store in ModelBucketName");
    CfnParameter memorySize =
        MaasConstructs.numberParameter(
            this, "MemorySize", 4096, 512, 10240, "Memory (MB) of the function");

    IBucket modelBucket =
        Bucket.fromBucketName(this, "ModelBucket", modelBucketName.getValueAsString());
    IRepository repository =
        Repository.fromRepositoryName(this, "ImageRepository", repositoryName.getValueAsString());
    String modelStore = MaasConstructs.s3Uri(modelBucket, modelPrefix.getValueAsString());

    var environment = new LinkedHashMap<>(MaasConstructs.lambdaEnvironment(modelStore, false));
    // ONNX Runtime's and the tokenizers' natives are unpacked into the image at build time
    // (infra/docker/cpu/Dockerfile) and loaded from there: nothing is extracted into /tmp, nothing
    // downloaded (offline mode). The image carries no PyTorch.
    environment.put("DJL_CACHE_DIR", "/tmp/djl");
    environment.put("RUST_LIBRARY_PATH", "/opt/natives/tokenizers/libtokenizers.so");
    environment.put(
        "JAVA_TOOL_OPTIONS",
        "-Dai.djl.offline=true -Donnxruntime.native.path=/opt/natives/onnxruntime"
            + " -XX:+TieredCompilation -XX:TieredStopAtLevel=1");
    function =
        DockerImageFunction.Builder.create(this, "HttpImageFunction")
            .description("maaskit HTTP inference, CPU container image")
            .code(
                DockerImageCode.fromEcr(
                    repository,
                    EcrImageCodeProps.builder().tagOrDigest(imageTag.getValueAsString()).build()))
            .architecture(Architecture.X86_64)
            .memorySize(memorySize.getValueAsNumber())
            .timeout(TIMEOUT)
            .ephemeralStorageSize(Size.mebibytes(2048))
            .environment(environment)
            .logGroup(MaasConstructs.logGroup(this, "HttpImageFunctionLogs"))
            .currentVersionOptions(
                VersionOptions.builder()
                    .description("maaskit http image " + imageTag.getValueAsString())
                    .build())
            .build();
    MaasConstructs.readPrefix(modelBucket, modelPrefix.getValueAsString())
        .forEach(function::addToRolePolicy);

    alias = MaasConstructs.liveAlias(this, "HttpImageFunctionLive", function.getCurrentVersion());
    var alarms = MaasConstructs.functionAlarms(this, "HttpImageFunction", alias, TIMEOUT);
    MaasConstructs.canary(
        this, "HttpImageFunctionDeployment", alias, List.of(alarms.errors(), alarms.p99Duration()));
    // No batch store or batch queue here: the Files and Batches APIs are the serverless stack's.
    api = MaasConstructs.httpApi(this, "HttpApi", alias, settings, MaasConstructs.INFERENCE_ROUTES);

    CfnOutput.Builder.create(this, "ApiUrl")
        .description("HTTP API endpoint")
        .value(api.getApiEndpoint())
        .build();
    CfnOutput.Builder.create(this, "FunctionName").value(function.getFunctionName()).build();
  }

  public DockerImageFunction function() {
    return function;
  }

  public Alias alias() {
    return alias;
  }

  public HttpApi api() {
    return api;
  }
}
