package io.maaskit.functions;

import io.maaskit.model.queue.QueueSettings;
import io.maaskit.model.queue.QueueWorker;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/**
 * Runs the queue worker inside a long-running deployable (local server, CPU/GPU containers) when
 * {@code MAAS_QUEUE_URL} is set: the same handler the SQS Lambda uses, fed by long polling.
 */
@Singleton
public class QueueWorkerLifecycle {
  private static final Logger LOG = Logger.getLogger(QueueWorkerLifecycle.class);
  private final MaasConfig config;
  private final Instance<QueueServices> queueServices;
  private QueueWorker worker;

  // Instance<>: without a queue URL nothing queue-related (clients, services, engine) is created
  // on the start-up path.
  public QueueWorkerLifecycle(MaasConfig config, Instance<QueueServices> queueServices) {
    this.config = config;
    this.queueServices = queueServices;
  }

  void start(@Observes StartupEvent ev) {
    if (config.queue().url().isEmpty()) {
      return;
    }
    QueueServices queues = queueServices.get();
    QueueSettings settings = queues.settings();
    worker = QueueWorker.start(queues.sqs(), settings, queues.handler());
    LOG.infof(
        "queue worker polling %s (%d receivers, %d s long polls, %d per receive)",
        settings.queueUrl(),
        settings.concurrency(),
        settings.waitTimeSeconds(),
        settings.maxMessages());
  }

  void stop(@Observes ShutdownEvent ev) {
    if (worker != null) {
      worker.close();
    }
  }
}
