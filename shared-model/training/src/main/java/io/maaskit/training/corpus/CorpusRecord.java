package io.maaskit.training.corpus;

import java.util.Objects;

/**
 * One labelled training or evaluation example, exactly the fields of a JSONL line. The source
 * folder travels with the text so an evaluation can be broken down by difficulty (easy vs hard ham)
 * and so any suspicious example can be traced back to its original mail via the id.
 *
 * @param text subject, blank line, body text; normalised and capped
 * @param label {@link SpamAssassinCorpus#LABEL_HAM} or {@link SpamAssassinCorpus#LABEL_SPAM}
 * @param source corpus folder, e.g. {@code easy-ham-1}
 * @param id {@code <folder>/<file stem>}, unique across the corpus, e.g. {@code
 *     spam-2/00001.317e78fa8ee2f54cd4890fdc09ba8176}
 */
public record CorpusRecord(String text, String label, String source, String id) {
  public CorpusRecord {
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(id, "id");
  }
}
