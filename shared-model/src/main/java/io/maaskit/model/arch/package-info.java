/**
 * Architectures and the capabilities tasks rely on. Each architecture lives in its own sub-package
 * ({@code bert}, later {@code llama}) with its config, modules, tokenizer wiring and registration.
 */
package io.maaskit.model.arch;
