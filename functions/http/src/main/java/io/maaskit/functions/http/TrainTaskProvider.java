package io.maaskit.functions.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.maaskit.functions.MaasConfig;
import io.maaskit.functions.ModelServices;
import io.maaskit.functions.QueueTaskProvider;
import io.maaskit.model.queue.TaskHandler;
import io.maaskit.model.store.S3Stores;
import io.maaskit.training.DatasetSource;
import io.maaskit.training.TrainTask;
import io.maaskit.training.TrainingJob;
import jakarta.inject.Singleton;
import software.amazon.awssdk.services.s3.S3Client;

/** The queue {@code train} task of the long-running server (local, CPU and GPU containers). */
@Singleton
public class TrainTaskProvider implements QueueTaskProvider {
  private final MaasConfig config;
  private final ModelServices models;

  public TrainTaskProvider(MaasConfig config, ModelServices models) {
    this.config = config;
    this.models = models;
  }

  @Override
  public String name() {
    return "train";
  }

  @Override
  public TaskHandler<JsonNode> handler(S3Client s3) {
    TrainingJob job =
        new TrainingJob(
            models.registry().store(),
            models.runtime(),
            DatasetSource.routing(s3 != null ? s3 : S3Stores.client(models.s3Settings())));
    return new TrainTask(job, config.trainTimeLimit());
  }
}
