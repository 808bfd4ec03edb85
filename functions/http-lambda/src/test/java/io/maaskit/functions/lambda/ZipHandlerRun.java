package io.maaskit.functions.lambda;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import io.quarkus.amazon.lambda.runtime.QuarkusStreamHandler;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * Runs the unpacked {@code function.zip} the way Lambda's managed {@code java21} runtime does: one
 * JVM on the zip's classpath (task root + {@code lib/*}), the handler the templates name ({@code
 * QuarkusStreamHandler::handleRequest}) called once per event with the event's JSON bytes. Prints
 * one line per event: milliseconds since the JVM started, then the Lambda response JSON. {@link
 * FunctionZipIT} starts it in a child process with nothing but the zip (and this class) on its
 * classpath.
 *
 * <pre>{@code
 * java -cp 'unzipped:unzipped/lib/*:test-classes' io.maaskit.functions.lambda.ZipHandlerRun event.json...
 * }</pre>
 */
public final class ZipHandlerRun {
  private ZipHandlerRun() {}

  public static void main(String[] args) throws Exception {
    QuarkusStreamHandler handler = new QuarkusStreamHandler();
    long start = ManagementFactory.getRuntimeMXBean().getStartTime();
    for (String file : args) {
      byte[] event = Files.readAllBytes(Path.of(file));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      handler.handleRequest(new ByteArrayInputStream(event), out, new InvocationContext());
      long ms = System.currentTimeMillis() - start;
      System.out.println(
          "RESPONSE " + ms + " " + out.toString(StandardCharsets.UTF_8).replace('\n', ' '));
    }
    System.out.flush();
    // Quarkus keeps non-daemon threads (Vert.x); the runtime would freeze the process instead.
    System.exit(0);
  }

  /** What the runtime hands the handler: an id, a deadline, a logger. */
  static final class InvocationContext implements Context {
    private final String id = UUID.randomUUID().toString();
    private final long deadline = System.currentTimeMillis() + 30_000;

    @Override
    public String getAwsRequestId() {
      return id;
    }

    @Override
    public String getLogGroupName() {
      return "/aws/lambda/maaskit-local";
    }

    @Override
    public String getLogStreamName() {
      return "local";
    }

    @Override
    public String getFunctionName() {
      return "maaskit-local";
    }

    @Override
    public String getFunctionVersion() {
      return "$LATEST";
    }

    @Override
    public String getInvokedFunctionArn() {
      return "arn:aws:lambda:us-east-1:000000000000:function:maaskit-local";
    }

    @Override
    public CognitoIdentity getIdentity() {
      return null;
    }

    @Override
    public ClientContext getClientContext() {
      return null;
    }

    @Override
    public int getRemainingTimeInMillis() {
      return (int) Math.max(0, deadline - System.currentTimeMillis());
    }

    @Override
    public int getMemoryLimitInMB() {
      return 2048;
    }

    @Override
    public LambdaLogger getLogger() {
      return new LambdaLogger() {
        @Override
        public void log(String message) {
          System.err.println(message);
        }

        @Override
        public void log(byte[] message) {
          System.err.println(new String(message, StandardCharsets.UTF_8));
        }
      };
    }
  }
}
