package io.maaskit.model.store;

import io.maaskit.model.store.internal.S3Location;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.AwsProfileRegionProvider;
import software.amazon.awssdk.regions.providers.AwsRegionProvider;
import software.amazon.awssdk.regions.providers.AwsRegionProviderChain;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.regions.providers.SystemSettingsRegionProvider;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * Opens {@code s3://} stores and builds the default {@link S3Client} when the caller brings none:
 * the standard AWS credentials chain, the region from settings or the SDK chain (us-east-1 when
 * nothing is configured, which S3-compatible servers accept), the endpoint override with path-style
 * addressing, the standard retry strategy with {@link S3Settings#maxAttempts()} attempts, and an
 * HTTP pool sized for the ranged-GET concurrency.
 *
 * <pre>{@code
 * ModelStore store = S3Stores.open("s3://bucket/models");                  // default settings
 * ModelStore other = S3Stores.open("s3://bucket/models", S3Settings.defaults().withTransfer(16 << 20, 8));
 * }</pre>
 */
public final class S3Stores {
  private static final Logger LOG = LoggerFactory.getLogger(S3Stores.class);

  private S3Stores() {}

  /**
   * Opens a store with {@link S3Settings#defaults()}: AWS endpoints; credentials and region from
   * the SDK's own chains.
   */
  public static S3ModelStore open(String uri) {
    return open(uri, S3Settings.defaults());
  }

  /**
   * Opens a store with a default client built from {@code settings}; closing the store closes it.
   */
  public static S3ModelStore open(String uri, S3Settings settings) {
    S3Location location = S3Location.parse(uri);
    return new S3ModelStore(client(settings), location, settings, true);
  }

  /** The default client for these settings (the caller closes it). */
  public static S3Client client(S3Settings settings) {
    return client(settings, null);
  }

  /**
   * A client for these settings with given credentials; null means the standard chain (environment,
   * system properties, profile, web identity, container and instance roles).
   */
  public static S3Client client(S3Settings settings, AwsCredentialsProvider credentials) {
    S3ClientBuilder b =
        S3Client.builder()
            .region(region(settings))
            .httpClientBuilder(
                ApacheHttpClient.builder()
                    .maxConnections(Math.max(50, settings.concurrency() * 4))
                    .connectionTimeout(Duration.ofSeconds(5))
                    .socketTimeout(Duration.ofSeconds(30)))
            .overrideConfiguration(
                o ->
                    o.retryStrategy(
                        AwsRetryStrategy.standardRetryStrategy().toBuilder()
                            .maxAttempts(settings.maxAttempts())
                            .build()));
    if (settings.endpointOverride() != null) {
      // S3-compatible servers differ in which flexible checksums they accept; our own SHA-256 check
      // covers downloads, so only send checksums where the API requires them.
      b.endpointOverride(settings.endpointOverride())
          .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
          .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
    }
    if (credentials != null) {
      b.credentialsProvider(credentials);
    }
    b.forcePathStyle(settings.pathStyle());
    return b.build();
  }

  /**
   * The configured region, else the SDK chain, else us-east-1. With an endpoint override the chain
   * skips instance metadata, which off EC2 only costs a timeout.
   */
  static Region region(S3Settings settings) {
    if (settings.region() != null) {
      return Region.of(settings.region());
    }
    AwsRegionProvider chain =
        settings.endpointOverride() != null
            ? new AwsRegionProviderChain(
                new SystemSettingsRegionProvider(), new AwsProfileRegionProvider())
            : new DefaultAwsRegionProviderChain();
    try {
      return chain.getRegion();
    } catch (SdkClientException e) {
      LOG.debug("no AWS region configured ({}); using us-east-1", e.getMessage());
      return Region.US_EAST_1;
    }
  }
}
