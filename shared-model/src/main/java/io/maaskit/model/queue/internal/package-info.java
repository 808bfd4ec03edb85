/**
 * Result sink implementations (S3 objects, an SQS queue, both); build them with {@link
 * io.maaskit.model.queue.ResultSink#of}. Not an API.
 */
package io.maaskit.model.queue.internal;
