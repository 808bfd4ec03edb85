package io.maaskit.infra;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.App;
import software.amazon.awscdk.assertions.Template;

/** Synthesizes the CDK app once per variant and JVM; templates land in infra/target/cdk.out*. */
final class InfraTestSupport {

  static final Path CDK_OUT = NodeTooling.MODULE_DIR.resolve("target").resolve("cdk.out");
  static final String HANDLER =
      "io.quarkus.amazon.lambda.runtime.QuarkusStreamHandler::handleRequest";
  static final List<String> STACKS =
      List.of("MaasServerlessStack", "MaasCpuImageStack", "MaasGpuWorkerStack");

  private static final Map<String, Synth> CACHE = new HashMap<>();

  private InfraTestSupport() {}

  /** One synthesized variant of the app. */
  record Synth(
      Path outdir,
      MaasInfraApp.Stacks stacks,
      Template serverless,
      Template cpuImage,
      Template gpuWorker) {
    Path templateFile(String stack) {
      return outdir.resolve(stack + ".template.json");
    }

    List<Path> templateFiles() {
      return STACKS.stream().map(this::templateFile).toList();
    }
  }

  /**
   * The default variant (IAM authorization, zips referenced through bucket/key parameters):
   * target/cdk.out.
   */
  static Synth defaults() {
    return variant("cdk.out", Map.of(InfraSettings.CTX_CODE_SOURCE, "bucket"));
  }

  /** JWT authorizer variant: target/cdk.out-jwt. */
  static Synth jwt() {
    return variant(
        "cdk.out-jwt",
        Map.of(
            InfraSettings.CTX_CODE_SOURCE, "bucket",
            InfraSettings.CTX_JWT_ISSUER,
                "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_example",
            InfraSettings.CTX_JWT_AUDIENCE, "maaskit-client"));
  }

  /** Anonymous variant: target/cdk.out-anonymous. */
  static Synth anonymous() {
    return variant(
        "cdk.out-anonymous",
        Map.of(
            InfraSettings.CTX_CODE_SOURCE, "bucket",
            InfraSettings.CTX_ALLOW_ANONYMOUS, "true"));
  }

  static synchronized Synth variant(String dirName, Map<String, ?> context) {
    return CACHE.computeIfAbsent(
        dirName, d -> synth(NodeTooling.MODULE_DIR.resolve("target").resolve(d), context));
  }

  static Synth synth(Path outdir, Map<String, ?> context) {
    NodeTooling.requireNode();
    App app =
        App.Builder.create().outdir(outdir.toString()).context(new HashMap<>(context)).build();
    MaasInfraApp.Stacks stacks = MaasInfraApp.build(app);
    app.synth();
    return new Synth(
        outdir,
        stacks,
        Template.fromStack(stacks.serverless()),
        Template.fromStack(stacks.cpuImage()),
        Template.fromStack(stacks.gpuWorker()));
  }

  // ------------------------------------------------------------------ small JSON helpers for
  // template maps

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object o) {
    if (!(o instanceof Map)) {
      throw new AssertionError("expected an object but got " + o);
    }
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  static List<Object> list(Object o) {
    if (!(o instanceof List)) {
      throw new AssertionError("expected a list but got " + o);
    }
    return (List<Object>) o;
  }

  /** Follows keys through nested maps; null when a key is missing. */
  static Object at(Object root, String... keys) {
    Object cur = root;
    for (String k : keys) {
      if (!(cur instanceof Map<?, ?> m)) {
        return null;
      }
      cur = m.get(k);
    }
    return cur;
  }

  /** Resources of {@code type}: logical id -> resource (Type, Properties, ...). */
  static Map<String, Map<String, Object>> resources(Map<String, Object> template, String type) {
    Map<String, Map<String, Object>> out = new java.util.LinkedHashMap<>();
    map(template.get("Resources"))
        .forEach(
            (id, r) -> {
              if (type.equals(map(r).get("Type"))) {
                out.put(id, map(r));
              }
            });
    return out;
  }

  static Map<String, Object> json(Template t) {
    return map(t.toJSON());
  }

  static String toJson(Object o) {
    try {
      return NodeTooling.JSON.writeValueAsString(o);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The REST API's methods as route keys: each method's resource chain up to the root. */
  static java.util.Set<String> restApiRoutes(Map<String, Object> template) {
    var resources = map(template.get("Resources"));
    java.util.Set<String> keys = new java.util.TreeSet<>();
    for (var method : resources(template, "AWS::ApiGateway::Method").values()) {
      StringBuilder path = new StringBuilder();
      Object parent = at(method, "Properties", "ResourceId");
      while (parent instanceof Map<?, ?> ref && ref.containsKey("Ref")) {
        var resource = map(resources.get((String) ref.get("Ref")));
        path.insert(0, "/" + at(resource, "Properties", "PathPart"));
        parent = at(resource, "Properties", "ParentId");
      }
      keys.add(at(method, "Properties", "HttpMethod") + " " + path);
    }
    return keys;
  }
}
