/**
 * Llama-family decoders (Llama, Mistral, Qwen2) written on DJL's NDArray API: RMSNorm, rotary
 * position embeddings with {@code rope_theta} (and Llama 3 frequency scaling), grouped-query
 * attention over a per-sequence key/value cache, SiLU-gated MLP, tied or separate LM head. Qwen2 is
 * the same network with biases on the query, key and value projections. {@link
 * io.maaskit.model.arch.llama.LlamaTensors} names every tensor once for the network, the graph
 * compiler and the quantizer; on an engine that runs graphs a package's compiled {@code model.onnx}
 * serves instead of the network.
 */
package io.maaskit.model.arch.llama;
