/**
 * GPT-2 decoders ({@code GPT2LMHeadModel}) written on DJL's NDArray API: learned position
 * embeddings, LayerNorm, multi-head causal attention over a per-sequence key/value cache, Conv1D
 * projections (transposed linear weights), gelu_new MLP, head tied to the token embeddings.
 */
package io.maaskit.model.arch.gpt2;
