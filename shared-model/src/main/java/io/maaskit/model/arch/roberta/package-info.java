/**
 * RoBERTa and XLM-RoBERTa encoders: a table of names and the two departures from BERT (positions
 * after the padding index, no token types) over the BERT package's network, graph and tokenizer.
 */
package io.maaskit.model.arch.roberta;
