/**
 * Command-line entry points behind {@code scripts/*}: import-model, quantize, publish-model, train,
 * evaluate, gpu-check. Parsing and usage text are picocli's; {@link io.maaskit.tools.cli.Cli} gives
 * them one contract: usage on {@code --help} (exit 0), exit 2 on a usage mistake, one {@code
 * error:} line and exit 1 on a failure. Results go to stdout, progress to stderr.
 */
package io.maaskit.tools.cli;
