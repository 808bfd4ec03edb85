/**
 * Lazy, single-flight model loading with an explicit state per model ({@code PENDING → READY |
 * FAILED}), bounded waiting, retry with backoff, and per-load accounting.
 */
package io.maaskit.model.registry;
