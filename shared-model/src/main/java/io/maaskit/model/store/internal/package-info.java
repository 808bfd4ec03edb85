/** Store implementation details (S3 location parsing); not an API. */
package io.maaskit.model.store.internal;
