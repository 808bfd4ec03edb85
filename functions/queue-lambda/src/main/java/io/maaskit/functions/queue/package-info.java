/** The SQS Lambda deployable: SQS events to the shared queue handler, partial batch failures. */
package io.maaskit.functions.queue;
