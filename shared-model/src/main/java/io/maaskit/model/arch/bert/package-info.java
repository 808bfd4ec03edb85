/**
 * BERT-family encoders (BERT, MiniLM, BGE, E5) written on DJL's NDArray API: embeddings, multi-head
 * attention with the padding mask, GELU feed-forward, LayerNorm, mean/CLS pooling, and an optional
 * sequence-classification head in Hugging Face layout.
 */
package io.maaskit.model.arch.bert;
