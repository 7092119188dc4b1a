package dev.qlora4j.train.data;

import dev.qlora4j.tensor.Tensor;

/**
 * A micro-batch as the model takes it: rows right-padded to one length, as transformers'
 * collators pad. All tensors are I32.
 *
 * @param inputIds      [B, T] the tokens, then the pad id
 * @param attentionMask [B, T] 1 at tokens, 0 at padding
 * @param labels        causal LM: [B, T], the example's labels and {@link Example#IGNORE} at
 *                      padding; sequence classification: [B], the class of each row
 * @param labelTokens   causal LM: label positions the loss counts (labels other than IGNORE at
 *                      positions 1..T−1, i.e. after the shift); classification: B. A trainer that
 *                      accumulates gradients divides the summed loss of all micro-batches of an
 *                      optimizer step by the sum of their labelTokens, as transformers'
 *                      num_items_in_batch does
 * @param packed        padding-free batches of packs: [1, N] position ids, from 0 in every sequence (which
 *                      attention never crosses); null for padded rows
 */
public record PaddedBatch(Tensor inputIds, Tensor attentionMask, Tensor labels, long labelTokens, Tensor packed) {
    public PaddedBatch(Tensor inputIds, Tensor attentionMask, Tensor labels, long labelTokens) {
        this(inputIds, attentionMask, labels, labelTokens, null);
    }

    /** B. */
    public int rows() {
        return inputIds.size(0);
    }

    /** T: the longest row rounded up to the collator's multiple. */
    public int length() {
        return inputIds.size(1);
    }
}
