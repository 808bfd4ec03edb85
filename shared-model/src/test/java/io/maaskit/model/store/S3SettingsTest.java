package io.maaskit.model.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.maaskit.model.pkg.ModelId;
import io.maaskit.model.store.internal.S3Location;
import java.net.URI;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.regions.Region;

/** Settings' defaults and validation, S3 URIs, and the default client's region. */
class S3SettingsTest {

  @Test
  void defaultsAreAwsWithEightMebibytePartsFourInFlightFiveAttempts() {
    S3Settings s = S3Settings.defaults();
    assertNull(s.endpointOverride());
    assertNull(s.region());
    assertFalse(s.pathStyle());
    assertEquals(8L << 20, s.partSizeBytes());
    assertEquals(4, s.concurrency());
    assertEquals(5, s.maxAttempts());
    S3Settings minio = s.withEndpoint(URI.create("http://localhost:9000"));
    assertEquals(URI.create("http://localhost:9000"), minio.endpointOverride());
    assertTrue(minio.pathStyle());
  }

  @Test
  void sizesParseAndNonsenseIsRefused() {
    assertEquals(16L << 20, S3Settings.parseSize("16M"));
    assertEquals(5L << 20, S3Settings.parseSize("5MiB"));
    assertEquals(1L << 30, S3Settings.parseSize("1g"));
    assertEquals(8388608, S3Settings.parseSize("8388608"));
    assertThrows(IllegalArgumentException.class, () -> S3Settings.parseSize("big"));
    assertThrows(IllegalArgumentException.class, () -> S3Settings.defaults().withTransfer(1024, 4));
    assertThrows(
        IllegalArgumentException.class, () -> S3Settings.defaults().withTransfer(8L << 20, 0));
    assertThrows(IllegalArgumentException.class, () -> S3Settings.defaults().withMaxAttempts(0));
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
