/**
 * The model package: a directory (or object-store prefix) holding {@code maas-model.json} (the
 * manifest: name, version, task, architecture, pooling, normalization, max sequence length, dtype,
 * quantization, and SHA-256 + size of every file), the Hugging Face {@code config.json}, {@code
 * tokenizer.json}, and weights as safetensors. {@link io.maaskit.model.pkg.ModelManifest} is the
 * one place the manifest is read and defaulted.
 */
package io.maaskit.model.pkg;
