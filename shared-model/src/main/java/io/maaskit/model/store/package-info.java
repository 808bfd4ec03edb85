/**
 * Where packages live and how their bytes arrive: {@link io.maaskit.model.store.ModelStore} with
 * local-directory and S3 implementations, the content-addressed, SHA-256-verified {@link
 * io.maaskit.model.store.internal.PackageCache}, and publishing.
 */
package io.maaskit.model.store;
