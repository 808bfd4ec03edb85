/**
 * Typed, unchecked errors of the core. Adapters map them to status codes in one place: {@link
 * io.maaskit.model.error.InvalidRequestException} → 400, {@link
 * io.maaskit.model.error.PayloadTooLargeException} → 413, {@link
 * io.maaskit.model.error.ModelNotFoundException} → 404, {@link
 * io.maaskit.model.error.ModelUnavailableException} → 503 with Retry-After, {@link
 * io.maaskit.model.error.NotSupportedException} → 501 (this deployable lacks the engine a feature
 * needs), anything else → 500.
 */
package io.maaskit.model.error;
