package io.maaskit.infra;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.CfnParameter;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.services.applicationautoscaling.AdjustmentType;
import software.amazon.awscdk.services.applicationautoscaling.BasicStepScalingPolicyProps;
import software.amazon.awscdk.services.applicationautoscaling.EnableScalingProps;
import software.amazon.awscdk.services.applicationautoscaling.ScalingInterval;
import software.amazon.awscdk.services.autoscaling.AutoScalingGroup;
import software.amazon.awscdk.services.autoscaling.LaunchTemplateOverrides;
import software.amazon.awscdk.services.autoscaling.MixedInstancesPolicy;
import software.amazon.awscdk.services.cloudwatch.IMetric;
import software.amazon.awscdk.services.cloudwatch.MathExpression;
import software.amazon.awscdk.services.cloudwatch.MetricOptions;
import software.amazon.awscdk.services.ec2.GatewayVpcEndpointAwsService;
import software.amazon.awscdk.services.ec2.GatewayVpcEndpointOptions;
import software.amazon.awscdk.services.ec2.InstanceType;
import software.amazon.awscdk.services.ec2.LaunchTemplate;
import software.amazon.awscdk.services.ec2.SecurityGroup;
import software.amazon.awscdk.services.ec2.SubnetConfiguration;
import software.amazon.awscdk.services.ec2.SubnetSelection;
import software.amazon.awscdk.services.ec2.SubnetType;
import software.amazon.awscdk.services.ec2.UserData;
import software.amazon.awscdk.services.ec2.Vpc;
import software.amazon.awscdk.services.ecr.IRepository;
import software.amazon.awscdk.services.ecr.Repository;
import software.amazon.awscdk.services.ecs.AmiHardwareType;
import software.amazon.awscdk.services.ecs.AsgCapacityProvider;
import software.amazon.awscdk.services.ecs.AwsLogDriverProps;
import software.amazon.awscdk.services.ecs.CapacityProviderStrategy;
import software.amazon.awscdk.services.ecs.Cluster;
import software.amazon.awscdk.services.ecs.ContainerDefinitionOptions;
import software.amazon.awscdk.services.ecs.ContainerImage;
import software.amazon.awscdk.services.ecs.DeploymentCircuitBreaker;
import software.amazon.awscdk.services.ecs.Ec2Service;
import software.amazon.awscdk.services.ecs.Ec2TaskDefinition;
import software.amazon.awscdk.services.ecs.EcsOptimizedImage;
import software.amazon.awscdk.services.ecs.LogDriver;
import software.amazon.awscdk.services.ecs.NetworkMode;
import software.amazon.awscdk.services.ecs.ScalableTaskCount;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.amazon.awscdk.services.s3.Bucket;
import software.amazon.awscdk.services.s3.IBucket;
import software.amazon.awscdk.services.sqs.Queue;
import software.constructs.Construct;

/**
 * GPU variant for heavy models: Lambda has no GPUs, so the long-running queue worker ({@code
 * infra/docker/gpu}) runs as an ECS service on GPU EC2 instances (g5/g6, ECS GPU-optimized AMI).
 * Both the service (tasks) and the Auto Scaling group (instances, through a capacity provider with
 * managed scaling) scale between 0 and N on the queue backlog.
 */
public class MaasGpuWorkerStack extends Stack {

  /** Backlog (visible + in-flight messages) handled per worker before another one is started. */
  public static final int MESSAGES_PER_WORKER = 10;

  public static final Duration VISIBILITY = Duration.minutes(15);

  private final Queue queue;
  private final Queue deadLetterQueue;
  private final AutoScalingGroup autoScalingGroup;
  private final Ec2Service service;

  public MaasGpuWorkerStack(Construct scope, String id, StackProps props, InfraSettings settings) {
    super(scope, id, props);

    CfnParameter repositoryName =
        MaasConstructs.stringParameter(
            this,
            "ImageRepositoryName",
            "maaskit-gpu",
            "ECR repository (same account/region) holding the image built from infra/docker/gpu");
    CfnParameter imageTag =
        MaasConstructs.stringParameter(this, "ImageTag", null, "Image tag to run");
    CfnParameter modelBucketName =
        MaasConstructs.stringParameter(
            this,
            "ModelBucketName",
            null,
            "Existing bucket holding the model store and receiving results");
    CfnParameter modelPrefix =
        MaasConstructs.prefixParameter(
            this, "ModelPrefix", "models/", "Key prefix of the model store in ModelBucketName");
    CfnParameter resultsPrefix =
        MaasConstructs.prefixParameter(
            this,
            "ResultsPrefix",
            "gpu-results/",
            "Key prefix in ModelBucketName where the worker writes results");
    CfnParameter maxReceiveCount =
        MaasConstructs.numberParameter(
            this,
            "MaxReceiveCount",
            3,
            1,
            1000,
            "Receives of a job before it moves to the dead-letter queue");

    IBucket bucket = Bucket.fromBucketName(this, "ModelBucket", modelBucketName.getValueAsString());
    IRepository repository =
        Repository.fromRepositoryName(this, "ImageRepository", repositoryName.getValueAsString());
    String modelStore = MaasConstructs.s3Uri(bucket, modelPrefix.getValueAsString());
    String resultsUri = MaasConstructs.s3Uri(bucket, resultsPrefix.getValueAsString());

    // ---------------------------------------------------------------- queue
    MaasConstructs.JobQueues jobs =
        MaasConstructs.jobQueues(
            this,
            "GpuJobsQueue",
            "GpuJobsDeadLetterQueue",
            VISIBILITY,
            maxReceiveCount.getValueAsNumber());
    queue = jobs.queue();
    deadLetterQueue = jobs.deadLetterQueue();
    MaasConstructs.dlqDepthAlarm(this, "GpuDeadLetterQueueDepthAlarm", deadLetterQueue);

    // ---------------------------------------------------------------- network + GPU capacity
    // Public subnets only (no NAT gateway to pay for while idle); instances get no inbound rule at
    // all.
    Vpc vpc =
        Vpc.Builder.create(this, "Vpc")
            .maxAzs(2)
            .natGateways(0)
            .subnetConfiguration(
                List.of(
                    SubnetConfiguration.builder()
                        .name("public")
                        .subnetType(SubnetType.PUBLIC)
                        .cidrMask(24)
                        .build()))
            .build();
    vpc.addGatewayEndpoint(
        "S3Endpoint",
        GatewayVpcEndpointOptions.builder().service(GatewayVpcEndpointAwsService.S3).build());
    SecurityGroup instanceSg =
        SecurityGroup.Builder.create(this, "GpuInstanceSecurityGroup")
            .vpc(vpc)
            .description("maaskit GPU workers: egress only")
            .allowAllOutbound(true)
            .build();

    Cluster cluster = Cluster.Builder.create(this, "GpuCluster").vpc(vpc).build();

    Role instanceRole =
        Role.Builder.create(this, "GpuInstanceRole")
            .assumedBy(new ServicePrincipal("ec2.amazonaws.com"))
            .build();
    List<InstanceType> instanceTypes =
        settings.gpuInstanceTypes().stream().map(InstanceType::new).toList();
    LaunchTemplate launchTemplate =
        LaunchTemplate.Builder.create(this, "GpuLaunchTemplate")
            .machineImage(EcsOptimizedImage.amazonLinux2(AmiHardwareType.GPU))
            .instanceType(instanceTypes.get(0))
            .userData(UserData.forLinux())
            .role(instanceRole)
            .securityGroup(instanceSg)
            .associatePublicIpAddress(true)
            .requireImdsv2(true)
            .build();
    List<LaunchTemplateOverrides> overrides = new ArrayList<>();
    for (InstanceType type : instanceTypes) {
      overrides.add(LaunchTemplateOverrides.builder().instanceType(type).build());
    }
    autoScalingGroup =
        AutoScalingGroup.Builder.create(this, "GpuAutoScalingGroup")
            .vpc(vpc)
            .vpcSubnets(SubnetSelection.builder().subnetType(SubnetType.PUBLIC).build())
            .mixedInstancesPolicy(
                MixedInstancesPolicy.builder()
                    .launchTemplate(launchTemplate)
                    .launchTemplateOverrides(overrides)
                    .build())
            .minCapacity(0)
            .maxCapacity(settings.gpuMaxWorkers())
            .build();
    AsgCapacityProvider capacityProvider =
        AsgCapacityProvider.Builder.create(this, "GpuCapacityProvider")
            .autoScalingGroup(autoScalingGroup)
            .enableManagedScaling(true)
            .targetCapacityPercent(100)
            .build();
    cluster.addAsgCapacityProvider(capacityProvider);

    // ---------------------------------------------------------------- worker task + service
    Ec2TaskDefinition task =
        Ec2TaskDefinition.Builder.create(this, "GpuWorkerTask")
            .networkMode(NetworkMode.BRIDGE)
            .build();
    Map<String, String> env = new LinkedHashMap<>();
    env.put("MAAS_QUEUE_URL", queue.getQueueUrl());
    env.put("MAAS_DEVICE", "gpu");
    env.put("MAAS_MODEL_STORE", modelStore);
    env.put("MAAS_RESULTS_URI", resultsUri);
    env.put("MAAS_CACHE_DIR", "/tmp/maas-cache");
    task.addContainer(
        "worker",
        ContainerDefinitionOptions.builder()
            .image(ContainerImage.fromEcrRepository(repository, imageTag.getValueAsString()))
            .command(List.of("java", "-jar", "/app/quarkus-run.jar"))
            .gpuCount(1)
            .memoryReservationMiB(12 * 1024)
            .environment(env)
            .stopTimeout(Duration.seconds(120))
            .logging(
                LogDriver.awsLogs(
                    AwsLogDriverProps.builder()
                        .streamPrefix("maas-gpu")
                        .logGroup(MaasConstructs.logGroup(this, "GpuWorkerLogs"))
                        .build()))
            .build());
    queue.grantConsumeMessages(task.getTaskRole());
    MaasConstructs.readPrefix(bucket, modelPrefix.getValueAsString())
        .forEach(task::addToTaskRolePolicy);
    MaasConstructs.readWritePrefix(bucket, resultsPrefix.getValueAsString())
        .forEach(task::addToTaskRolePolicy);

    service =
        Ec2Service.Builder.create(this, "GpuWorkerService")
            .cluster(cluster)
            .taskDefinition(task)
            .desiredCount(0)
            .minHealthyPercent(0)
            .maxHealthyPercent(100)
            .circuitBreaker(DeploymentCircuitBreaker.builder().rollback(true).build())
            .capacityProviderStrategies(
                List.of(
                    CapacityProviderStrategy.builder()
                        .capacityProvider(capacityProvider.getCapacityProviderName())
                        .weight(1)
                        .build()))
            .build();

    // Backlog = visible + in flight, so a worker still processing its message is not scaled away.
    // (LinkedHashMap: Map.of iteration order changes between JVMs and would make templates
    // non-deterministic)
    Map<String, IMetric> backlogMetrics = new LinkedHashMap<>();
    backlogMetrics.put(
        "visible",
        queue.metricApproximateNumberOfMessagesVisible(
            MetricOptions.builder().statistic("Maximum").period(Duration.minutes(1)).build()));
    backlogMetrics.put(
        "inflight",
        queue.metricApproximateNumberOfMessagesNotVisible(
            MetricOptions.builder().statistic("Maximum").period(Duration.minutes(1)).build()));
    MathExpression backlog =
        MathExpression.Builder.create()
            .label("Jobs backlog")
            .expression("visible + inflight")
            .usingMetrics(backlogMetrics)
            .period(Duration.minutes(1))
            .build();
    ScalableTaskCount scaling =
        service.autoScaleTaskCount(
            EnableScalingProps.builder()
                .minCapacity(0)
                .maxCapacity(settings.gpuMaxWorkers())
                .build());
    scaling.scaleOnMetric(
        "BacklogStepScaling",
        BasicStepScalingPolicyProps.builder()
            .metric(backlog)
            .adjustmentType(AdjustmentType.EXACT_CAPACITY)
            .scalingSteps(scalingSteps(settings.gpuMaxWorkers()))
            .cooldown(Duration.minutes(2))
            .build());

    CfnOutput.Builder.create(this, "QueueUrl")
        .description("Send GPU jobs here")
        .value(queue.getQueueUrl())
        .build();
    CfnOutput.Builder.create(this, "DeadLetterQueueUrl")
        .value(deadLetterQueue.getQueueUrl())
        .build();
    CfnOutput.Builder.create(this, "ClusterName").value(cluster.getClusterName()).build();
    CfnOutput.Builder.create(this, "ServiceName").value(service.getServiceName()).build();
  }

  /**
   * 0 tasks for an empty backlog, 1 from the first message, one more per {@link
   * #MESSAGES_PER_WORKER}, up to max.
   */
  static List<ScalingInterval> scalingSteps(int maxWorkers) {
    List<ScalingInterval> steps = new ArrayList<>();
    steps.add(ScalingInterval.builder().upper(0).change(0).build());
    steps.add(ScalingInterval.builder().lower(1).change(1).build());
    for (int workers = 2; workers <= maxWorkers; workers++) {
      steps.add(
          ScalingInterval.builder()
              .lower((workers - 1) * MESSAGES_PER_WORKER)
              .change(workers)
              .build());
    }
    return steps;
  }

  public Queue queue() {
    return queue;
  }

  public Queue deadLetterQueue() {
    return deadLetterQueue;
  }

  public AutoScalingGroup autoScalingGroup() {
    return autoScalingGroup;
  }

  public Ec2Service service() {
    return service;
  }
}
