package dev.qlora4j.model.tokenizer;

/**
 * A token from tokenizer.json's {@code added_tokens}, with the id the tokenizer gives it.
 *
 * @param content    the exact text that stands for the token
 * @param id         its id (the model's own id when the vocabulary already has this text)
 * @param special    skipped by {@code decode(ids, true)}
 * @param singleWord matched only where no word character touches it
 * @param lstrip     a match also takes the whitespace on its left
 * @param rstrip     a match also takes the whitespace on its right
 * @param normalized matched in the normalized text (in its normalized form) rather than the raw input
 */
public record AddedToken(String content, int id, boolean special, boolean singleWord, boolean lstrip,
                         boolean rstrip, boolean normalized) {}
