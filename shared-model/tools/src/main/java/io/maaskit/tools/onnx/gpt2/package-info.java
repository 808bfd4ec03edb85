/**
 * The ONNX decoder graph of GPT-2 packages (float32, int8, int4): learned positions by {@code
 * position_ids}, LayerNorm and SkipLayerNorm, GroupQueryAttention over the key/value cache with as
 * many key/value heads as query heads, FastGelu, the tied head.
 */
package io.maaskit.tools.onnx.gpt2;
