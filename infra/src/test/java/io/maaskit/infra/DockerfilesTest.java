package io.maaskit.infra;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Docker is not available where the tests run, so the images are not built here; this pins the
 * contract between the Dockerfiles and the stacks that run them (base images, copied paths, DJL
 * cache, commands).
 */
class DockerfilesTest {

  static final Path DOCKER = NodeTooling.MODULE_DIR.resolve("docker");

  @Test
  void cpuImageIsTheLambdaJava21BaseWithTheFunctionZipAndBakedOnnxRuntimeNatives()
      throws IOException {
    String df = Files.readString(DOCKER.resolve("cpu/Dockerfile"));
    assertContainsAll(
        df,
        List.of(
            "ARG LAMBDA_BASE=public.ecr.aws/lambda/java:21",
            "FROM ${LAMBDA_BASE}",
            "functions/http-lambda/target/function.zip",
            "-Dai.djl.offline=true",
            "-Donnxruntime.native.path=/opt/natives/onnxruntime",
            "RUST_LIBRARY_PATH=/opt/natives/tokenizers/libtokenizers.so",
            "ai/onnxruntime/native/linux-x64/*",
            "! ls /task/lib | grep -i torch",
            "io.maaskit.functions.EngineWarmup cpu",
            "grep -q '^engine onnxruntime'",
            "MALLOC_ARENA_MAX=2",
            "MALLOC_MMAP_THRESHOLD_=131072",
            "CMD [\"" + MaasConstructs.QUARKUS_HANDLER + "\"]"));
  }

  @Test
  void gpuImageIsCudaWithJdk21TheQuarkusAppAndCudaNatives() throws IOException {
    String df = Files.readString(DOCKER.resolve("gpu/Dockerfile"));
    assertContainsAll(
        df,
        List.of(
            "nvidia/cuda:12.8",
            "openjdk-21-jre-headless",
            "APP_DIR=functions/http/target/quarkus-app",
            "PYTORCH_VERSION=2.7.1",
            "PYTORCH_FLAVOR=cu128",
            "DJL_CACHE_DIR=/opt/djl",
            "MAAS_DEVICE=gpu",
            "io.maaskit.functions.EngineWarmup gpu pytorch",
            "libtorch_cuda.so",
            "MALLOC_ARENA_MAX=2",
            "MALLOC_MMAP_THRESHOLD_=131072",
            "HOST=0.0.0.0",
            "USER maas",
            "CMD [\"java\", \"-jar\", \"/app/quarkus-run.jar\"]"));
    assertTrue(
        !df.contains("ENTRYPOINT"), "ECS overrides CMD; an ENTRYPOINT would be prepended to it");
  }

  private static void assertContainsAll(String text, List<String> needles) {
    for (String n : needles) {
      assertTrue(text.contains(n), "missing: " + n);
    }
  }
}
