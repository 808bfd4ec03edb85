/**
 * Tasks: request validation, model resolution and batching for embeddings (TEI and OpenAI dialects)
 * and classification. Adapters hand these services parsed JSON and map their typed errors to status
 * codes.
 */
package io.maaskit.model.task;
