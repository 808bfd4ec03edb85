package io.maaskit.model.store;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.blobstore.domain.MultipartUpload;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * S3Proxy in-process (the real S3 protocol over HTTP) in front of a blob store that counts what the
 * server is asked and injects faults: server errors for the next N GETs, bodies that break off
 * mid-stream, failing part uploads. Counting happens at the server, behind the HTTP layer, so SDK
 * retries show up as separate requests.
 */
public final class S3TestServer implements AutoCloseable {
  public static final String ACCESS_KEY = "maas-test-access";
  public static final String SECRET_KEY = "maas-test-secret";

  private final S3Proxy proxy;
  private final Blobs blobs;

  private S3TestServer(BlobStore backing, boolean auth) throws Exception {
    this.blobs = new Blobs(backing);
    S3Proxy.Builder b =
        S3Proxy.builder().blobStore(blobs).endpoint(URI.create("http://127.0.0.1:0"));
    if (auth) {
      b.awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY);
    } else {
      b.awsAuthentication(AuthenticationType.NONE, null, null);
    }
    proxy = b.build();
    proxy.start();
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!"STARTED".equals(proxy.getState())) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
      }
      Thread.sleep(5);
    }
  }

  /** A server over an in-memory blob store, checking SigV4 signatures. */
  public static S3TestServer inMemory() throws Exception {
    return new S3TestServer(new TransientNio2BlobStore(), true);
  }

  /** A server over a directory (for large packages: keeps them off the heap). */
  public static S3TestServer onDisk(Path dir) throws Exception {
    java.nio.file.Files.createDirectories(dir);
    return new S3TestServer(new FilesystemNio2BlobStore(dir.toString()), true);
  }

  /** The endpoint, e.g. {@code http://127.0.0.1:40123}. */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + proxy.getPort());
  }

  /**
   * Settings for this endpoint: path-style, us-east-1, small parts so tests exercise ranged GETs.
   */
  public S3Settings settings(long partSize, int concurrency, int maxAttempts) {
    return new S3Settings(endpoint(), "us-east-1", true, partSize, concurrency, maxAttempts);
  }

  /** The kit's default client for {@code settings}, signed with the server's credentials. */
  public S3Client client(S3Settings settings) {
    return S3Stores.client(settings, credentials(ACCESS_KEY, SECRET_KEY));
  }

  /** A client with other credentials (for access-denied tests). */
  public S3Client client(S3Settings settings, String accessKey, String secretKey) {
    return S3Stores.client(settings, credentials(accessKey, secretKey));
  }

  private static StaticCredentialsProvider credentials(String a, String s) {
    return StaticCredentialsProvider.create(AwsBasicCredentials.create(a, s));
  }

  /** Creates a bucket directly in the backing store. */
  public void createBucket(String name) {
    blobs.delegate().createContainer(name);
  }

  /** Replaces an object's bytes directly in the backing store (corrupting or truncating it). */
  public void putRaw(String bucket, String key, byte[] data) {
    blobs
        .delegate()
        .putBlob(
            PutObjectRequest.builder()
                .bucket(bucket)
                .key(key)
                .contentLength((long) data.length)
                .build(),
            new java.io.ByteArrayInputStream(data));
  }

  /** Reads an object directly from the backing store. */
  public byte[] getRaw(String bucket, String key) throws IOException {
    try (InputStream in =
        blobs.delegate().getBlob(GetObjectRequest.builder().bucket(bucket).key(key).build())) {
      return in.readAllBytes();
    }
  }

  /** Removes an object directly from the backing store. */
  public void removeRaw(String bucket, String key) {
    blobs.delegate().removeBlob(bucket, key);
  }

  /** Whether an object exists in the backing store. */
  public boolean exists(String bucket, String key) {
    return blobs.delegate().blobExists(bucket, key);
  }

  /** Multipart uploads still open in a bucket (an aborted upload leaves none). */
  public int openUploads(String bucket) {
    return blobs.delegate().listMultipartUploads(bucket).size();
  }

  /** What the server saw and which faults it injects. */
  public Blobs blobs() {
    return blobs;
  }

  @Override
  public void close() throws Exception {
    proxy.stop();
  }

  /** A forwarding blob store that counts requests and injects faults. */
  public static final class Blobs extends ForwardingBlobStore {
    private final Map<String, AtomicInteger> gets = new ConcurrentHashMap<>();
    private final List<String> ranges = new CopyOnWriteArrayList<>();
    private final List<String> writes = new CopyOnWriteArrayList<>();
    private final AtomicLong bytesServed = new AtomicLong();
    private final AtomicInteger lists = new AtomicInteger();
    private final AtomicInteger getErrors = new AtomicInteger();
    private final AtomicInteger breakBodies = new AtomicInteger();
    private final AtomicInteger failPartUploads = new AtomicInteger();
    private volatile int errorStatus = 503;
    private volatile String errorCode = "SlowDown";
    private volatile long breakAfterBytes;

    Blobs(BlobStore delegate) {
      super(delegate);
    }

    /** LIST requests (ListObjectsV2). */
    public int lists() {
      return lists.get();
    }

    @Override
    public software.amazon.awssdk.services.s3.model.ListObjectsV2Response list(
        software.amazon.awssdk.services.s3.model.ListObjectsV2Request req) {
      lists.incrementAndGet();
      return super.list(req);
    }

    /** GET requests per key (each ranged GET counts once; retried requests count again). */
    public int gets(String key) {
      AtomicInteger n = gets.get(key);
      return n == null ? 0 : n.get();
    }

    /** GET requests over all keys. */
    public int totalGets() {
      return gets.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    /** {@code key range} of every GET, in arrival order ({@code -} for whole-object GETs). */
    public List<String> ranges() {
      return List.copyOf(ranges);
    }

    /** Keys of completed writes (PUT or completed multipart upload), in order. */
    public List<String> writes() {
      return List.copyOf(writes);
    }

    /** Body bytes the server handed out for GETs. */
    public long bytesServed() {
      return bytesServed.get();
    }

    /** Forgets the counts (faults stay armed). */
    public void resetCounts() {
      gets.clear();
      ranges.clear();
      writes.clear();
      bytesServed.set(0);
      lists.set(0);
    }

    /** The next {@code n} GETs fail with this status and S3 error code. */
    public void failNextGets(int n, int status, String code) {
      errorStatus = status;
      errorCode = code;
      getErrors.set(n);
    }

    /** The next {@code n} GET bodies break off (connection dropped) after {@code afterBytes}. */
    public void breakNextBodies(int n, long afterBytes) {
      breakAfterBytes = afterBytes;
      breakBodies.set(n);
    }

    /** The next {@code n} part uploads fail with a 500. */
    public void failNextPartUploads(int n) {
      failPartUploads.set(n);
    }

    @Override
    public ResponseInputStream<GetObjectResponse> getBlob(GetObjectRequest req) {
      gets.computeIfAbsent(req.key(), k -> new AtomicInteger()).incrementAndGet();
      ranges.add(req.key() + " " + (req.range() == null ? "-" : req.range()));
      if (getErrors.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throw S3Exception.builder()
            .statusCode(errorStatus)
            .awsErrorDetails(
                AwsErrorDetails.builder()
                    .errorCode(errorCode)
                    .errorMessage("injected " + errorCode)
                    .build())
            .message("injected " + errorCode)
            .build();
      }
      ResponseInputStream<GetObjectResponse> in = super.getBlob(req);
      boolean breakIt = breakBodies.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
      long limit = breakIt ? breakAfterBytes : Long.MAX_VALUE;
      return new ResponseInputStream<>(in.response(), new Counting(in, limit));
    }

    @Override
    public PutObjectResponse putBlob(PutObjectRequest req, InputStream body) {
      PutObjectResponse r = super.putBlob(req, body);
      writes.add(req.key());
      return r;
    }

    @Override
    public UploadPartResponse uploadMultipartPart(
        MultipartUpload mpu, UploadPartRequest req, InputStream body) {
      if (failPartUploads.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throw S3Exception.builder()
            .statusCode(500)
            .awsErrorDetails(
                AwsErrorDetails.builder()
                    .errorCode("InternalError")
                    .errorMessage("injected")
                    .build())
            .message("injected InternalError")
            .build();
      }
      return super.uploadMultipartPart(mpu, req, body);
    }

    @Override
    public CompleteMultipartUploadResponse completeMultipartUpload(
        MultipartUpload mpu, CompleteMultipartUploadRequest req) {
      CompleteMultipartUploadResponse r = super.completeMultipartUpload(mpu, req);
      writes.add(mpu.blobName());
      return r;
    }

    /** Counts served bytes; throws after {@code limit} bytes to drop the connection mid-body. */
    private final class Counting extends FilterInputStream {
      private long left;

      Counting(InputStream in, long limit) {
        super(in);
        this.left = limit;
      }

      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (left <= 0) {
          throw new IOException("injected: connection reset mid-body");
        }
        int n = super.read(b, off, (int) Math.min(len, left));
        if (n > 0) {
          left -= n;
          bytesServed.addAndGet(n);
        }
        return n;
      }
    }
  }
}
