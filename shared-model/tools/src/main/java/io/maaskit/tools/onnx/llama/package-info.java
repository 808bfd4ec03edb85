/**
 * The ONNX compiler of Llama-family decoders (Llama, Mistral, Qwen2): a {@link
 * io.maaskit.model.arch.decoder.DecoderGraph} with GroupQueryAttention and fused RMSNorms.
 */
package io.maaskit.tools.onnx.llama;
