package io.maaskit.model.arch;

/**
 * A model whose tokens can be traced back to the text: what a gradient-free explanation (deleting
 * words and watching the output) needs, so every form of a model can explain, compiled graphs
 * included. {@link Explainable} adds what the gradient methods need on top.
 */
public interface SpanTokenizer {
  /**
   * One text tokenized exactly as the model's serving path tokenizes it (the same pre-tokenize cut
   * and truncation), with each token's character span, word index and special-token flag.
   */
  Explainable.Spans spans(String text);
}
