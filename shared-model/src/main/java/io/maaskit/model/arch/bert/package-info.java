/**
 * BERT-family encoders (BERT, MiniLM, BGE, E5) written on DJL's NDArray API: embeddings, multi-head
 * attention with the padding mask, GELU feed-forward, LayerNorm, mean/CLS pooling, and an optional
 * sequence-classification head in Hugging Face layout; and, on an engine that runs compiled graphs,
 * the same encoders and classifiers served from the package's {@code model.onnx}.
 */
package io.maaskit.model.arch.bert;
