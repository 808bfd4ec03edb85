/**
 * The ONNX graph of BERT-family packages (fp32 and the int8 package): embeddings, fused-QKV
 * self-attention with the padding mask, erf GELU, LayerNorm, the manifest's pooling, L2
 * normalization and, for classifiers, the head with its softmax.
 */
package io.maaskit.tools.onnx.bert;
