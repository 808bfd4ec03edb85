package io.maaskit.it.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Rules across the core, training and tools modules together (the core's own test sees only the
 * core): engine types stay in the engine package, the core never reaches into training or tools,
 * and training and tools never name a concrete architecture's internals.
 */
class ModuleBoundaryTest {
  static JavaClasses all;

  @BeforeAll
  static void importAll() {
    all =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.maaskit.model", "io.maaskit.training", "io.maaskit.tools");
  }

  @Test
  void engineTypesStayInTheEnginePackage() {
    noClasses()
        .that()
        .resideOutsideOfPackage("io.maaskit.model.engine.pytorch..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("ai.djl.pytorch..", "ai.djl..internal..")
        .check(all);
  }

  @Test
  void onnxRuntimeTypesStayInTheirEnginePackage() {
    noClasses()
        .that()
        .resideOutsideOfPackage("io.maaskit.model.engine.onnxruntime..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("ai.onnxruntime..", "ai.djl.onnxruntime..")
        .check(all);
  }

  /**
   * Training and tools start engines by capability ({@code EagerEngine.start}, {@code
   * Engine.start(options, GRAPHS)}), never by naming a concrete engine's classes.
   */
  @Test
  void trainingAndToolsNameNoConcreteEngine() {
    noClasses()
        .that()
        .resideInAnyPackage("io.maaskit.training..", "io.maaskit.tools..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.maaskit.model.engine.pytorch..", "io.maaskit.model.engine.onnxruntime..")
        .check(all);
  }

  /**
   * The compiler and importer write graphs and files; DJL's tensor types are for the eager code
   * (training, the quantizer's reference runs, the CLI's checks) only.
   */
  @Test
  void graphCompilerAndImporterUseNoDjlTensors() {
    noClasses()
        .that()
        .resideInAnyPackage("io.maaskit.tools.onnx..", "io.maaskit.tools.importer..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("ai.djl.ndarray..", "ai.djl.engine..", "ai.djl.training..")
        .check(all);
  }

  /** The compiler's core is architecture-neutral; BERT's graph is one plug-in package. */
  @Test
  void onnxCompilerNamesBertOnlyInItsBertPackage() {
    noClasses()
        .that()
        .resideInAPackage("io.maaskit.tools.onnx..")
        .and()
        .resideOutsideOfPackage("io.maaskit.tools.onnx.bert..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.maaskit.model.arch.bert..")
        .check(all);
  }

  @Test
  void coreDependsOnNeitherTrainingNorTools() {
    noClasses()
        .that()
        .resideInAPackage("io.maaskit.model..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.maaskit.training..", "io.maaskit.tools..")
        .check(all);
  }

  @Test
  void trainerAndQuantizerWorkOnCapabilitiesNotOnBert() {
    noClasses()
        .that()
        .resideInAnyPackage(
            "io.maaskit.training..", "io.maaskit.tools.quant..", "io.maaskit.tools.onnx")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.maaskit.model.arch.bert..")
        .check(all);
  }

  /**
   * The importer picks decoders by model_type through the registry of architectures; a decoder's
   * graph compiler is one plug-in package per architecture (as BERT's is), and only the compiler
   * names the decoder graph contract.
   */
  @Test
  void toolsAndTrainingNameNoDecoderArchitecture() {
    noClasses()
        .that()
        .resideInAnyPackage("io.maaskit.training..", "io.maaskit.tools..")
        .and()
        .resideOutsideOfPackages("io.maaskit.tools.onnx.llama..", "io.maaskit.tools.onnx.gpt2..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.maaskit.model.arch.llama..", "io.maaskit.model.arch.gpt2..")
        .check(all);
    noClasses()
        .that()
        .resideInAnyPackage("io.maaskit.training..", "io.maaskit.tools..")
        .and()
        .resideOutsideOfPackage("io.maaskit.tools.onnx..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.maaskit.model.arch.decoder..")
        .check(all);
  }

  /** Each decoder compiler names only its own architecture. */
  @Test
  void decoderCompilersNameOnlyTheirOwnArchitecture() {
    noClasses()
        .that()
        .resideInAPackage("io.maaskit.tools.onnx.llama..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.maaskit.model.arch.gpt2..")
        .check(all);
    noClasses()
        .that()
        .resideInAPackage("io.maaskit.tools.onnx.gpt2..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.maaskit.model.arch.llama..")
        .allowEmptyShould(true)
        .check(all);
  }
}
