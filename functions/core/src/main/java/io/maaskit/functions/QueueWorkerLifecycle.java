package io.maaskit.functions;

import io.maaskit.model.queue.QueueWorker;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
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
  private final QueueServices queues;
  private QueueWorker worker;

  public QueueWorkerLifecycle(MaasConfig config, QueueServices queues) {
    this.config = config;
    this.queues = queues;
  }

  void start(@Observes StartupEvent ev) {
    if (config.queueUrl().isEmpty()) {
      return;
    }
    worker = QueueWorker.start(queues.sqs(), queues.settings(), queues.handler());
    LOG.infof("queue worker polling %s (%d receivers)", config.queueUrl().get(), config.queueConcurrency());
  }

  void stop(@Observes ShutdownEvent ev) {
    if (worker != null) {
      worker.close();
    }
  }
}
