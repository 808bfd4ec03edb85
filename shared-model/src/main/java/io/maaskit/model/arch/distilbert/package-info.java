/**
 * DistilBERT encoders: a table of DistilBERT's names and config keys over the BERT package's
 * network, graph and tokenizer (no token types; ReLU pre-classifier head).
 */
package io.maaskit.model.arch.distilbert;
