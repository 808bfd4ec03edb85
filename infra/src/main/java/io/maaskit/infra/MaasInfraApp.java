package io.maaskit.infra;

import software.amazon.awscdk.App;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.Tags;

/**
 * CDK entry point ({@code cdk.json}). Synthesizes three independent, environment-agnostic stacks:
 *
 * <ul>
 *   <li>{@link MaasServerlessStack}: CPU zip Lambdas with SnapStart (HTTP API + SQS worker);
 *   <li>{@link MaasCpuImageStack}: the HTTP function as a container image (models larger than a zip
 *       allows);
 *   <li>{@link MaasGpuWorkerStack}: a queue worker on ECS/EC2 GPU instances that scales to zero.
 * </ul>
 */
public final class MaasInfraApp {

  private MaasInfraApp() {}

  public static void main(String[] args) {
    App app = new App();
    build(app);
    app.synth();
  }

  /** Adds every stack to {@code app}; shared by {@link #main} and the tests. */
  public static Stacks build(App app) {
    InfraSettings settings = InfraSettings.from(app);
    Tags.of(app).add("project", "maaskit");
    var serverless =
        new MaasServerlessStack(
            app,
            "MaasServerlessStack",
            props(
                "maaskit: CPU zip Lambdas (SnapStart) behind an HTTP API, SQS batch worker, model bucket"),
            settings);
    var cpuImage =
        new MaasCpuImageStack(
            app,
            "MaasCpuImageStack",
            props("maaskit: HTTP function as a CPU container image (large models)"),
            settings);
    var gpu =
        new MaasGpuWorkerStack(
            app,
            "MaasGpuWorkerStack",
            props("maaskit: GPU queue worker on ECS/EC2 (g5/g6), scales to zero on queue depth"),
            settings);
    return new Stacks(serverless, cpuImage, gpu);
  }

  private static StackProps props(String description) {
    return StackProps.builder().description(description).build();
  }

  /** The stacks {@link #build} created. */
  public record Stacks(
      MaasServerlessStack serverless, MaasCpuImageStack cpuImage, MaasGpuWorkerStack gpuWorker) {}
}
