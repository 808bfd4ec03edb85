package io.maaskit.functions.http;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The adapters (functions-core, -web, -http, on this module's classpath) reach the core through
 * {@code ModelRuntime} and the public types of its packages, never through wiring in an {@code
 * internal} package (the way AWS SDK v2's architecture tests guard theirs).
 */
class AdapterBoundaryTest {
  @Test
  void adaptersStayOffTheCoreInternals() {
    JavaClasses adapters =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.maaskit.functions");
    noClasses()
        .that()
        .resideInAPackage("io.maaskit.functions..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.maaskit.model..internal..")
        .because("wiring types may change; ModelRuntime hands out what adapters need")
        .check(adapters);
  }
}
