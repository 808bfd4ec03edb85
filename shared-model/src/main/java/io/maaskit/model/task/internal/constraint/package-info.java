/**
 * Constrained decoding: a JSON grammar (from a JSON Schema, {@code json_object}, or a tool call
 * wrapped in its family's markers) compiled to a byte-level pushdown machine, and a token-level
 * automaton that walks the tokenizer's vocabulary trie once per machine state to know which tokens
 * may come next. The generation loop masks every other token's logit, so the output always parses
 * and validates whatever the model and engine.
 */
package io.maaskit.model.task.internal.constraint;
