package io.maaskit.model.arch.bert;

import io.maaskit.model.arch.TokenLogits;
import java.util.List;

/** What both forms of a BERT package (eager, graph) answer alike for per-token heads. */
interface BertTokenLogits extends TokenLogits {
  BertTokenization tokenization();

  @Override
  default Pieces pieces(String text) {
    return tokenization()
        .pieces(text, tokenization().specialId("[UNK]", tokenization().specialId("<unk>", -1)));
  }

  @Override
  default String tokensToString(List<String> tokens) {
    return BertTokenization.wordPieceString(tokens);
  }

  /** BERT's {@code [CLS]}, else RoBERTa's and XLM-RoBERTa's {@code <s>}. */
  @Override
  default long clsId() {
    return tokenization().specialId("[CLS]", tokenization().specialId("<s>", 101));
  }

  /** BERT's {@code [SEP]}, else RoBERTa's and XLM-RoBERTa's {@code </s>}. */
  @Override
  default long sepId() {
    return tokenization().specialId("[SEP]", tokenization().specialId("</s>", 102));
  }
}
