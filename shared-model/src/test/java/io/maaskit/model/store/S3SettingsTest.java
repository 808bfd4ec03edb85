package io.maaskit.model.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.model.pkg.ModelId;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.regions.Region;

/** Settings from the environment, S3 URIs, and the default client's region. */
class S3SettingsTest {

  @Test
  void anEmptyEnvironmentMeansAwsDefaults() {
    S3Settings s = S3Settings.fromEnvironment(Map.of());
    assertEquals(S3Settings.defaults(), s);
    assertNull(s.endpointOverride());
    assertFalse(s.pathStyle());
    assertEquals(8L << 20, s.partSizeBytes());
    assertEquals(4, s.concurrency());
    assertEquals(5, s.maxAttempts());
  }

  @Test
  void anEndpointOverrideTurnsOnPathStyleUnlessToldOtherwise() {
    S3Settings s = S3Settings.fromEnvironment(Map.of("AWS_ENDPOINT_URL", "http://localhost:9000"));
    assertEquals(URI.create("http://localhost:9000"), s.endpointOverride());
    assertTrue(s.pathStyle());

    S3Settings specific =
        S3Settings.fromEnvironment(
            Map.of(
                "AWS_ENDPOINT_URL",
                "http://other:1",
                "AWS_ENDPOINT_URL_S3",
                "https://minio.internal:9000",
                "MAAS_S3_PATH_STYLE",
                "false",
                "AWS_REGION",
                "eu-west-1"));
    assertEquals(
        URI.create("https://minio.internal:9000"),
        specific.endpointOverride(),
        "the S3-specific variable wins");
    assertFalse(specific.pathStyle());
    assertEquals("eu-west-1", specific.region());

    assertTrue(S3Settings.fromEnvironment(Map.of("MAAS_S3_PATH_STYLE", "true")).pathStyle());
  }

  @Test
  void transferSettingsParseSizesAndRejectNonsense() {
    S3Settings s =
        S3Settings.fromEnvironment(
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
    assertEquals(5L << 20, S3Settings.parseSize("5MiB"));
    assertEquals(1L << 30, S3Settings.parseSize("1g"));
    assertEquals(8388608, S3Settings.parseSize("8388608"));

    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> S3Settings.fromEnvironment(Map.of("MAAS_S3_PART_SIZE", "big")));
    assertTrue(e.getMessage().contains("MAAS_S3_PART_SIZE"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> S3Settings.fromEnvironment(Map.of("MAAS_S3_CONCURRENCY", "0")));
    assertThrows(
        IllegalArgumentException.class,
        () -> S3Settings.fromEnvironment(Map.of("MAAS_S3_PATH_STYLE", "maybe")));
    assertThrows(
        IllegalArgumentException.class,
        () -> S3Settings.fromEnvironment(Map.of("AWS_ENDPOINT_URL_S3", "localhost")));
    assertThrows(IllegalArgumentException.class, () -> S3Settings.defaults().withTransfer(1024, 4));
  }

  @Test
  void locationsParseAndNameKeys() {
    S3Location l = S3Location.parse("s3://my-bucket/team/models/");
    assertEquals("my-bucket", l.bucket());
    assertEquals("team/models", l.prefix());
    assertEquals("team/models/bert/2/config.json", l.key(new ModelId("bert", "2"), "config.json"));
    assertEquals("s3://my-bucket/team/models/", l.toString());
    assertEquals(
        "x/1/maas-model.json",
        S3Location.parse("s3://b1").key(new ModelId("x", "1"), "maas-model.json"));
    assertThrows(IllegalArgumentException.class, () -> S3Location.parse("s3://"));
    assertThrows(IllegalArgumentException.class, () -> S3Location.parse("s3://Upper_Case/x"));
    assertThrows(IllegalArgumentException.class, () -> S3Location.parse("gs://bucket/x"));
  }

  @Test
  void theRegionComesFromSettingsElseFallsBackToUsEast1ForLocalEndpoints() {
    assertEquals(
        Region.EU_CENTRAL_1,
        S3Stores.region(
            S3Settings.defaults()
                .withEndpoint(URI.create("http://x:1"))
                .withRegion("eu-central-1")));
    // With an endpoint override the chain skips instance metadata; this machine configures no
    // region.
    if (System.getenv("AWS_REGION") == null
        && System.getenv("AWS_DEFAULT_REGION") == null
        && System.getProperty("aws.region") == null
        && System.getenv("AWS_PROFILE") == null
        && !java.nio.file.Files.exists(
            java.nio.file.Path.of(System.getProperty("user.home"), ".aws", "config"))) {
      assertEquals(
          Region.US_EAST_1,
          S3Stores.region(S3Settings.defaults().withEndpoint(URI.create("http://x:1"))));
    }
  }
}
