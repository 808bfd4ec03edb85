package io.maaskit.infra;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import software.amazon.awscdk.services.lambda.Architecture;
import software.constructs.Construct;

/**
 * Synth-time settings of the CDK app, read from CDK context ({@code cdk.json}, {@code -c
 * key=value}).
 *
 * <p>Deploy-time values (prefixes, memory, image tags...) are CloudFormation parameters instead;
 * see {@code infra/README-deploy.md}. Context is used where CDK must decide the shape of the
 * template.
 */
public record InfraSettings(
    CodeSource codeSource,
    String functionsDir,
    Architecture architecture,
    boolean allowAnonymous,
    String jwtIssuer,
    List<String> jwtAudience,
    List<String> gpuInstanceTypes,
    int gpuMaxWorkers) {

  public static final String CTX_CODE_SOURCE = "maas:codeSource";
  public static final String CTX_FUNCTIONS_DIR = "maas:functionsDir";
  public static final String CTX_ARCHITECTURE = "maas:architecture";
  public static final String CTX_ALLOW_ANONYMOUS = "maas:allowAnonymous";
  public static final String CTX_JWT_ISSUER = "maas:jwtIssuer";
  public static final String CTX_JWT_AUDIENCE = "maas:jwtAudience";
  public static final String CTX_GPU_INSTANCE_TYPES = "maas:gpuInstanceTypes";
  public static final String CTX_GPU_MAX_WORKERS = "maas:gpuMaxWorkers";

  /** Where the Lambda zips come from. */
  public enum CodeSource {
    /** {@code asset} when both zips exist under functionsDir, else {@code bucket}. */
    AUTO,
    /**
     * {@code Code.fromAsset(<functionsDir>/<module>/target/function.zip)}: uploaded by {@code cdk
     * deploy}.
     */
    ASSET,
    /**
     * {@code Code.fromCfnParameters}: the zips were uploaded beforehand; bucket and keys are stack
     * parameters.
     */
    BUCKET
  }

  public InfraSettings {
    if (allowAnonymous && jwtIssuer != null) {
      throw new IllegalArgumentException(
          CTX_ALLOW_ANONYMOUS
              + "=true and "
              + CTX_JWT_ISSUER
              + " are mutually exclusive: pick anonymous access or a JWT authorizer");
    }
    if (jwtIssuer != null && jwtAudience.isEmpty()) {
      throw new IllegalArgumentException(
          CTX_JWT_ISSUER
              + " needs "
              + CTX_JWT_AUDIENCE
              + " (comma-separated list of accepted 'aud' values)");
    }
    if (gpuMaxWorkers < 1 || gpuMaxWorkers > 50) {
      throw new IllegalArgumentException(
          CTX_GPU_MAX_WORKERS + " must be within 1..50, got " + gpuMaxWorkers);
    }
    for (String type : gpuInstanceTypes) {
      if (!type.matches("g[4-6][a-z]*\\.[0-9]*x?large")) {
        throw new IllegalArgumentException(
            CTX_GPU_INSTANCE_TYPES
                + ": '"
                + type
                + "' is not a single-GPU-family instance type such as g5.xlarge or g6.xlarge");
      }
    }
  }

  public static InfraSettings from(Construct scope) {
    var node = scope.getNode();
    String codeSource = text(node.tryGetContext(CTX_CODE_SOURCE), "auto");
    String arch = text(node.tryGetContext(CTX_ARCHITECTURE), "x86_64");
    Architecture architecture =
        switch (arch) {
          case "x86_64" -> Architecture.X86_64;
          case "arm64" -> Architecture.ARM_64;
          default ->
              throw new IllegalArgumentException(
                  CTX_ARCHITECTURE + " must be x86_64 or arm64, got " + arch);
        };
    return new InfraSettings(
        CodeSource.valueOf(codeSource.toUpperCase(Locale.ROOT)),
        text(node.tryGetContext(CTX_FUNCTIONS_DIR), "../functions"),
        architecture,
        Boolean.parseBoolean(text(node.tryGetContext(CTX_ALLOW_ANONYMOUS), "false")),
        emptyToNull(text(node.tryGetContext(CTX_JWT_ISSUER), "")),
        list(text(node.tryGetContext(CTX_JWT_AUDIENCE), "")),
        list(text(node.tryGetContext(CTX_GPU_INSTANCE_TYPES), "g5.xlarge,g6.xlarge")),
        Integer.parseInt(text(node.tryGetContext(CTX_GPU_MAX_WORKERS), "2")));
  }

  private static String text(Object value, String fallback) {
    return value == null ? fallback : String.valueOf(value).trim();
  }

  private static String emptyToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  private static List<String> list(String csv) {
    return Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }
}
