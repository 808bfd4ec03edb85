/** Task-layer machinery shared by the services (batching); not an API. */
package io.maaskit.model.task.internal;
