package io.maaskit.tools.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.model.store.S3Settings;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The CLI's S3 environment: each variable changes the settings the commands open stores with. */
class DefaultsTest {
  @Test
  void anEmptyEnvironmentMeansAwsDefaults() {
    assertEquals(S3Settings.defaults(), Defaults.s3Settings(Map.of()));
  }

  @Test
  void anEndpointTurnsOnPathStyleUnlessToldOtherwise() {
    S3Settings s = Defaults.s3Settings(Map.of("AWS_ENDPOINT_URL", "http://localhost:9000"));
    assertEquals(URI.create("http://localhost:9000"), s.endpointOverride());
    assertTrue(s.pathStyle());

    S3Settings specific =
        Defaults.s3Settings(
            Map.of(
                "AWS_ENDPOINT_URL", "http://other:1",
                "AWS_ENDPOINT_URL_S3", "https://minio.internal:9000",
                "MAAS_S3_PATH_STYLE", "false",
                "AWS_REGION", "eu-west-1"));
    assertEquals(
        URI.create("https://minio.internal:9000"),
        specific.endpointOverride(),
        "the S3-specific variable wins");
    assertFalse(specific.pathStyle(), "an explicit MAAS_S3_PATH_STYLE wins over the endpoint");
    assertEquals("eu-west-1", specific.region());
    assertEquals(
        "eu-north-1", Defaults.s3Settings(Map.of("AWS_DEFAULT_REGION", "eu-north-1")).region());
    assertEquals(
        URI.create("http://mine:9000"),
        Defaults.s3Settings(
                Map.of("MAAS_S3_ENDPOINT", "http://mine:9000", "AWS_ENDPOINT_URL_S3", "http://x:1"))
            .endpointOverride());

    assertTrue(Defaults.s3Settings(Map.of("MAAS_S3_PATH_STYLE", "true")).pathStyle());
  }

  @Test
  void transferSettingsParseAndNonsenseNamesTheVariable() {
    S3Settings s =
        Defaults.s3Settings(
            Map.of(
                "MAAS_S3_PART_SIZE",
                "16M",
                "MAAS_S3_CONCURRENCY",
                "8",
                "MAAS_S3_MAX_ATTEMPTS",
                "3"));
    assertEquals(16L << 20, s.partSizeBytes());
    assertEquals(8, s.concurrency());
    assertEquals(3, s.maxAttempts());

    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Defaults.s3Settings(Map.of("MAAS_S3_PART_SIZE", "big")));
    assertTrue(e.getMessage().contains("MAAS_S3_PART_SIZE"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> Defaults.s3Settings(Map.of("MAAS_S3_CONCURRENCY", "0")));
    assertThrows(
        IllegalArgumentException.class,
        () -> Defaults.s3Settings(Map.of("MAAS_S3_PATH_STYLE", "maybe")));
    assertThrows(
        IllegalArgumentException.class,
        () -> Defaults.s3Settings(Map.of("AWS_ENDPOINT_URL_S3", "localhost")));
  }
}
