package io.maaskit.training;

/**
 * One epoch of training.
 *
 * @param stage {@code head} (training the head on frozen features) or {@code encoder} (top layers
 *     and head together)
 * @param epoch 1-based, per stage
 * @param epochs the most epochs this stage will run
 * @param trainLoss mean (class-weighted) cross-entropy over the epoch's mini-batches
 * @param validationLoss (class-weighted) cross-entropy on the validation split after the epoch
 * @param validationAccuracy share of the validation split classified right
 * @param learningRate the head's learning rate at the epoch's last step
 * @param seconds wall-clock time of the epoch, validation included
 * @param improved whether the validation loss is the lowest so far (these weights are kept)
 */
public record EpochStats(
    String stage,
    int epoch,
    int epochs,
    double trainLoss,
    double validationLoss,
    double validationAccuracy,
    double learningRate,
    double seconds,
    boolean improved) {

  /** One console line. */
  public String line() {
    return String.format(
        "%-7s epoch %3d/%d  loss %.4f  val_loss %.4f  val_acc %.4f  lr %.2e  %.1f s%s",
        stage,
        epoch,
        epochs,
        trainLoss,
        validationLoss,
        validationAccuracy,
        learningRate,
        seconds,
        improved ? "  *" : "");
  }
}
