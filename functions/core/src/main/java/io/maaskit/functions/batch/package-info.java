/**
 * The OpenAI Files and Batch APIs: uploads checked while they stream ({@link
 * io.maaskit.functions.batch.BatchFiles}), batches split into chunks that any process runs
 * idempotently ({@link io.maaskit.functions.batch.Batches}), state and files in S3 or a directory
 * ({@link io.maaskit.functions.batch.BatchStore}), steps sent to SQS or run in the server ({@link
 * io.maaskit.functions.batch.SqsDispatch}, {@link io.maaskit.functions.batch.LocalDispatch}).
 */
package io.maaskit.functions.batch;
