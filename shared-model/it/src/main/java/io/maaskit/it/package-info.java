/**
 * Test fixtures that build real packages (imported from the pretrained encoders on Maven Central,
 * or trained by the kit) for the integration tests and the functions' tests. Not deployed.
 */
package io.maaskit.it;
