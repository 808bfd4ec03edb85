package io.maaskit.training;

import io.maaskit.model.pkg.ModelManifest;
import java.util.List;

/**
 * What a finished training job produced.
 *
 * @param manifest the published package's manifest (metrics included)
 * @param storeUri where it was published
 * @param history one entry per epoch run
 * @param evaluation the held-out evaluation, or null when the request had no evaluation data
 * @param embedSeconds the inference pass over the training data (features, or frozen layers'
 *     outputs)
 * @param trainSeconds the epochs
 * @param evalSeconds the held-out evaluation
 * @param totalSeconds the whole job, publishing included
 */
public record TrainingResult(
    ModelManifest manifest,
    String storeUri,
    List<EpochStats> history,
    Evaluation evaluation,
    double embedSeconds,
    double trainSeconds,
    double evalSeconds,
    double totalSeconds) {}
