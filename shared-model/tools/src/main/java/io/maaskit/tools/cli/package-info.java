/**
 * Command-line entry points behind {@code scripts/*}: import-model, quantize, publish-model, train,
 * evaluate. Each prints usage on {@code --help}, progress on stderr, and exits 2 on usage errors.
 */
package io.maaskit.tools.cli;
