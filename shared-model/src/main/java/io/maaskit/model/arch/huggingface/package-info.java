/**
 * What decoder architectures share from a Hugging Face checkpoint directory: the {@code
 * tokenizer.json} wiring ({@link io.maaskit.model.arch.huggingface.HfTextTokenizer}), the
 * generation defaults of {@code generation_config.json} and {@code tokenizer_config.json} ({@link
 * io.maaskit.model.arch.huggingface.HfGenerationConfig}), and single or sharded safetensors weights
 * ({@link io.maaskit.model.arch.huggingface.HfCheckpoint}). No architecture's network lives here.
 */
package io.maaskit.model.arch.huggingface;
