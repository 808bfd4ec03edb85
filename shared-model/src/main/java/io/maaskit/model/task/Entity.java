package io.maaskit.model.task;

/**
 * One entity found in a text, as Hugging Face's token-classification pipeline reports it.
 *
 * @param label the entity label of a token ({@code B-PER}) when not grouped, or the group's type
 *     ({@code PER}) when grouped
 * @param score the token's probability for {@code label}, or the mean over a group's members
 * @param index the token's position in its window's sequence ({@code [CLS]} is 0); null for groups
 * @param word the token ({@code ##ing}), or a group's tokens decoded back to text
 * @param start first character in the original text (UTF-16 index)
 * @param end one past the last character
 * @param grouped whether {@code label} names a group ({@code entity_group}) rather than a token's
 *     label ({@code entity})
 */
public record Entity(
    String label, float score, Integer index, String word, int start, int end, boolean grouped) {}
