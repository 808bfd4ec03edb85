package io.maaskit.model.queue;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * ElasticMQ in-process: the real SQS protocol (the SDK's AWS JSON protocol) on a free local port.
 * One server per test JVM (it registers JMX beans and an actor system); tests get fresh queues.
 */
public final class ElasticMqServer {
  private static ElasticMqServer shared;
  private static final AtomicInteger names = new AtomicInteger();

  private final SQSRestServer server;
  private final int port;

  private ElasticMqServer() {
    server =
        SQSRestServerBuilder.withInterface("127.0.0.1")
            .withDynamicPort()
            .withAWSRegion("us-east-1")
            .start();
    port = server.waitUntilStarted().localAddress().getPort();
  }

  /** The JVM's server, started on first use. */
  public static synchronized ElasticMqServer shared() {
    if (shared == null) {
      shared = new ElasticMqServer();
    }
    return shared;
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + port);
  }

  /** A client for the server; the caller closes it. */
  public SqsClient client() {
    return SqsClient.builder()
        .endpointOverride(endpoint())
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "x")))
        .httpClientBuilder(ApacheHttpClient.builder().maxConnections(16))
        .build();
  }

  /** A uniquely named queue; attributes as SQS takes them. */
  public static String createQueue(
      SqsClient sqs, String base, Map<QueueAttributeName, String> attributes) {
    String name = base + "-" + names.incrementAndGet() + (base.endsWith("-fifo") ? ".fifo" : "");
    return sqs.createQueue(b -> b.queueName(name).attributes(attributes)).queueUrl();
  }

  /** A main queue with a dead-letter queue: {@code [main, dlq]}. */
  public static String[] createWithDlq(SqsClient sqs, int maxReceiveCount, int visibilitySeconds) {
    String dlq = createQueue(sqs, "dlq", Map.of());
    String arn =
        sqs.getQueueAttributes(b -> b.queueUrl(dlq).attributeNames(QueueAttributeName.QUEUE_ARN))
            .attributes()
            .get(QueueAttributeName.QUEUE_ARN);
    String main =
        createQueue(
            sqs,
            "requests",
            Map.of(
                QueueAttributeName.VISIBILITY_TIMEOUT,
                Integer.toString(visibilitySeconds),
                QueueAttributeName.REDRIVE_POLICY,
                "{\"deadLetterTargetArn\":\""
                    + arn
                    + "\",\"maxReceiveCount\":\""
                    + maxReceiveCount
                    + "\"}"));
    return new String[] {main, dlq};
  }

  /** Visible plus in-flight messages. */
  public static int depth(SqsClient sqs, String url) {
    Map<QueueAttributeName, String> a =
        sqs.getQueueAttributes(
                b ->
                    b.queueUrl(url)
                        .attributeNames(
                            QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
                            QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE,
                            QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_DELAYED))
            .attributes();
    return Integer.parseInt(a.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES))
        + Integer.parseInt(a.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE))
        + Integer.parseInt(a.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_DELAYED));
  }

  /** Receives (without deleting) every visible message, hiding each for {@code hideSeconds}. */
  public static List<Message> drain(SqsClient sqs, String url, int hideSeconds) {
    List<Message> out = new ArrayList<>();
    while (true) {
      List<Message> batch =
          sqs.receiveMessage(
                  b ->
                      b.queueUrl(url)
                          .maxNumberOfMessages(10)
                          .waitTimeSeconds(0)
                          .visibilityTimeout(hideSeconds))
              .messages();
      if (batch.isEmpty()) {
        return out;
      }
      out.addAll(batch);
    }
  }
}
