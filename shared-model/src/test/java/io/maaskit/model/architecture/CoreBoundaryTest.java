package io.maaskit.model.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.methods;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The core stays a plain Java library: no Quarkus, Jakarta or Lambda types, no Quarkus or Lambda
 * artifact in its pom; engine types stay in the engine package; services take no JSON trees; and
 * data flows one way (adapters → services → registry → architectures → engine).
 */
class CoreBoundaryTest {
  static JavaClasses core;

  @BeforeAll
  static void importCore() {
    core =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.maaskit.model");
  }

  @Test
  void coreImportsNoFrameworkTypes() {
    ArchRule rule =
        noClasses()
            .that()
            .resideInAPackage("io.maaskit.model..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(
                "io.quarkus..",
                "jakarta..",
                "javax.enterprise..",
                "com.amazonaws.services.lambda..",
                "io.vertx..");
    rule.check(core);
  }

  /** Engine types and DJL internals stay in the engine's own package. */
  @Test
  void engineTypesStayInTheEnginePackage() {
    noClasses()
        .that()
        .resideInAPackage("io.maaskit.model..")
        .and()
        .resideOutsideOfPackage("io.maaskit.model.engine.pytorch..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("ai.djl.pytorch..", "ai.djl..internal..")
        .because("architectures and services run on the Engine interface, not on PyTorch")
        .check(core);
  }

  /** ONNX Runtime types stay in its engine package, as PyTorch's stay in theirs. */
  @Test
  void onnxRuntimeTypesStayInTheirEnginePackage() {
    noClasses()
        .that()
        .resideInAPackage("io.maaskit.model..")
        .and()
        .resideOutsideOfPackage("io.maaskit.model.engine.onnxruntime..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("ai.onnxruntime..", "ai.djl.onnxruntime..")
        .because("architectures run compiled graphs through Engine.openGraph, not on ORT types")
        .check(core);
  }

  /**
   * DJL's types (NDManager, NDArray, Device, DataType...) stay inside the engines and the eager
   * implementations written on {@code EagerEngine}: the engine-neutral API ({@code Engine}, {@code
   * CompiledGraph}, {@code EngineOptions}), the registry, the package and store layers and the
   * services (but the gradient explanations of classifiers and of generated text, eager by nature)
   * name none of them.
   */
  @Test
  void djlTypesStayInTheEnginesAndTheEagerImplementations() {
    noClasses()
        .that()
        .resideInAnyPackage(
            "io.maaskit.model.registry..",
            "io.maaskit.model.pkg..",
            "io.maaskit.model.store..",
            "io.maaskit.model.queue..",
            "io.maaskit.model.error..",
            "io.maaskit.model.task..")
        .and()
        .doNotBelongToAnyOf(io.maaskit.model.task.ExplainService.class)
        .and()
        .haveNameNotMatching("io\\.maaskit\\.model\\.task\\.CompletionExplainer(\\$.*)?")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("ai.djl..")
        .because("they pick and run engines by capability, through Engine")
        .check(core);
    noClasses()
        .that()
        .haveFullyQualifiedName("io.maaskit.model.engine.Engine")
        .or()
        .haveFullyQualifiedName("io.maaskit.model.engine.Engine$Capability")
        .or()
        .haveFullyQualifiedName("io.maaskit.model.engine.Engine$EngineProvider")
        .or()
        .haveFullyQualifiedName("io.maaskit.model.engine.CompiledGraph")
        .or()
        .haveFullyQualifiedName("io.maaskit.model.engine.EngineOptions")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("ai.djl..")
        .because("eager engines expose DJL's arrays through EagerEngine only")
        .check(core);
  }

  /**
   * Nothing outside an engine's own package names a concrete engine: the loader asks for
   * capabilities, and a configured engine name meets the providers in Engine alone.
   */
  @Test
  void nothingNamesAConcreteEngine() {
    for (String engine : new String[] {"pytorch", "onnxruntime"}) {
      noClasses()
          .that()
          .resideInAPackage("io.maaskit.model..")
          .and()
          .resideOutsideOfPackage("io.maaskit.model.engine." + engine + "..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("io.maaskit.model.engine." + engine + "..")
          .check(core);
    }
  }

  /** Services speak plain records; JSON trees belong to the protocols at the edge. */
  @Test
  void serviceSignaturesCarryNoJsonTrees() {
    methods()
        .that()
        .areDeclaredInClassesThat()
        .resideInAPackage("io.maaskit.model.task..")
        .and()
        .arePublic()
        .should()
        .notHaveRawParameterTypes(JsonNode.class)
        .andShould()
        .notHaveRawReturnType(JsonNode.class)
        .check(core);
  }

  /**
   * No core type names Jackson: protocol bodies and queue messages are bound in {@code functions/}
   * (one mapper configuration for every body); package files are read with {@code PackageJson}.
   */
  @Test
  void coreNamesNoJackson() {
    noClasses()
        .that()
        .resideInAPackage("io.maaskit.model..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("com.fasterxml.jackson..")
        .because("protocols are bound at the edges; package files are read with PackageJson")
        .check(core);
  }

  /**
   * The generation loop lives in the task layer only: architectures run forward steps and know
   * nothing of sampling or batching, and the template engine stays behind {@code ChatTemplate}.
   */
  @Test
  void generationLoopStaysInTheTaskLayer() {
    noClasses()
        .that()
        .resideInAPackage("io.maaskit.model.arch..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.maaskit.model.task..")
        .check(core);
    noClasses()
        .that()
        .resideInAPackage("io.maaskit.model..")
        .and()
        .doNotHaveFullyQualifiedName("io.maaskit.model.task.ChatTemplate")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("com.hubspot.jinjava..")
        .check(core);
  }

  /**
   * A new architecture is a new package: nothing outside the BERT family (arch/bert and the
   * architectures that are a table of names over its network: arch/roberta, arch/distilbert) names
   * BERT types, and nothing outside arch/roberta or arch/distilbert names theirs.
   */
  @Test
  void noArchitectureBranchesOutsideTheArchitecturePackage() {
    String[] family = {
      "io.maaskit.model.arch.bert..",
      "io.maaskit.model.arch.roberta..",
      "io.maaskit.model.arch.distilbert.."
    };
    noClasses()
        .that()
        .resideInAPackage("io.maaskit.model..")
        .and()
        .resideOutsideOfPackages(family)
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.maaskit.model.arch.bert..")
        .check(core);
    for (String arch : new String[] {"roberta", "distilbert"}) {
      noClasses()
          .that()
          .resideInAPackage("io.maaskit.model..")
          .and()
          .resideOutsideOfPackage("io.maaskit.model.arch." + arch + "..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("io.maaskit.model.arch." + arch + "..")
          .check(core);
    }
  }

  /**
   * The same for the decoders: nothing outside arch/llama names Llama types, nothing outside
   * arch/gpt2 names GPT-2 types; the shared decoder runtime and Hugging Face file readers name
   * neither.
   */
  @Test
  void decoderArchitecturesStayInTheirPackages() {
    for (String arch : new String[] {"llama", "gpt2"}) {
      noClasses()
          .that()
          .resideInAPackage("io.maaskit.model..")
          .and()
          .resideOutsideOfPackage("io.maaskit.model.arch." + arch + "..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("io.maaskit.model.arch." + arch + "..")
          .check(core);
    }
    noClasses()
        .that()
        .resideInAnyPackage(
            "io.maaskit.model.arch.decoder..", "io.maaskit.model.arch.huggingface..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.maaskit.model.arch.bert..")
        .check(core);
  }

  @Test
  void coreReadsNoEnvironment() {
    // Configuration reaches the core as records (S3Settings, QueueSettings, RegistryOptions...),
    // filled by the adapters' configuration mappings and the CLI's one environment class.
    noClasses()
        .that()
        .resideInAPackage("io.maaskit.model..")
        .should()
        .callMethod(System.class, "getenv")
        .orShould()
        .callMethod(System.class, "getenv", String.class)
        .orShould()
        .callMethod(System.class, "getProperty", String.class)
        .orShould()
        .callMethod(System.class, "getProperty", String.class, String.class)
        .check(core);
  }

  @Test
  void lowerLayersDoNotCallUp() {
    noClasses()
        .that()
        .resideInAnyPackage(
            "io.maaskit.model.store..", "io.maaskit.model.engine..", "io.maaskit.model.pkg..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.maaskit.model.registry..", "io.maaskit.model.task..", "io.maaskit.tools.cli..")
        .check(core);
    noClasses()
        .that()
        .resideInAPackage("io.maaskit.model.registry..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.maaskit.model.task..", "io.maaskit.tools.cli..")
        .check(core);
    noClasses()
        .that()
        .resideInAPackage("io.maaskit.model.task..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.maaskit.tools.cli..")
        .check(core);
  }

  @Test
  void pomDeclaresNoQuarkusOrLambdaArtifact() throws IOException {
    String pom = Files.readString(Path.of("pom.xml"));
    assertTrue(
        pom.contains("<artifactId>shared-model</artifactId>"), "ran from the shared-model module");
    assertFalse(pom.contains("io.quarkus"), "shared-model must not depend on Quarkus");
    assertFalse(
        pom.contains("aws-lambda-java"), "shared-model must not depend on Lambda libraries");
    assertFalse(pom.contains("amazon-lambda"), "shared-model must not depend on Lambda libraries");
  }
}
