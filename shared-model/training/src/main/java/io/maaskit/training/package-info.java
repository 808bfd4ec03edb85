/**
 * Fine-tuning text classifiers on top of encoder packages: labelled JSONL datasets read from a
 * local path or S3 ({@link io.maaskit.training.DatasetSource}), a stratified, seeded
 * train/validation split, class-weighted cross-entropy trained with DJL's AdamW on PyTorch autograd
 * (warm-up, cosine or linear decay, early stopping), a duration estimate for refusing jobs that
 * cannot finish in time, evaluation (accuracy, per-label precision/recall/F1, confusion matrix),
 * and publication of the result as a classification package. {@link
 * io.maaskit.training.TrainingJob} is the entry point; {@code corpus} converts the SpamAssassin
 * corpus into such a dataset.
 */
package io.maaskit.training;
