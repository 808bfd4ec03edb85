/** Task-layer machinery shared by the services (batching, the decode loop); not an API. */
package io.maaskit.model.task.internal;
