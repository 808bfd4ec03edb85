/**
 * Wire protocols at the edge: TEI and OpenAI request bodies bound to the core's records, and the
 * response shapes. The core never sees these types.
 */
package io.maaskit.functions.protocol;
