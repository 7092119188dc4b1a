package dev.qlora4j.train.data;

import dev.qlora4j.tensor.CrossEntropy;

/**
 * One training or evaluation example, tokenized. The arrays are owned by the example: callers
 * must not change them.
 *
 * @param origin     where it came from ("file: line 3"), for reports
 * @param id         the row id folds are taken by (the CSV {@code id} column, else the row's number from 0)
 * @param inputIds   the tokens, already truncated to max_length
 * @param labels     causal LM: one label per token, {@link #IGNORE} where the position is not
 *                   learned (prompt, masked turn); null for sequence classification
 * @param classLabel sequence classification: the class index; −1 for causal LM
 * @param sequences  a pack ({@link Packing}): the lengths of the sequences lying back to back in it, each
 *                   with its own positions from 0 and a label of {@link #IGNORE} at its first token;
 *                   null for an example that is one sequence
 */
public record Example(String origin, long id, int[] inputIds, int[] labels, int classLabel, int[] sequences) {
    /** The label value the loss skips (transformers' and torch's ignore_index). */
    public static final int IGNORE = CrossEntropy.IGNORE_INDEX;

    public Example {
        if (inputIds == null) throw new IllegalArgumentException("inputIds is null");
        if (labels == null ? classLabel < 0 : labels.length != inputIds.length || classLabel != -1)
            throw new IllegalArgumentException("an example has either per-token labels (causal LM) or a class label");
        if (sequences != null && (labels == null || java.util.Arrays.stream(sequences).sum() != inputIds.length))
            throw new IllegalArgumentException("a pack's sequences must cover its tokens");
    }

    public Example(String origin, long id, int[] inputIds, int[] labels, int classLabel) {
        this(origin, id, inputIds, labels, classLabel, null);
    }

    /** Whether this is a pack of several sequences (or one, from packing) rather than one example. */
    public boolean isPack() {
        return sequences != null;
    }

    /** A causal LM example whose labels are its tokens (loss on every token). */
    public static Example causal(String origin, long id, int[] inputIds) {
        return new Example(origin, id, inputIds, inputIds.clone(), -1);
    }

    public static Example causal(String origin, long id, int[] inputIds, int[] labels) {
        return new Example(origin, id, inputIds, labels, -1);
    }

    public static Example classification(String origin, long id, int[] inputIds, int classLabel) {
        return new Example(origin, id, inputIds, null, classLabel);
    }

    public boolean isClassification() {
        return labels == null;
    }

    public int length() {
        return inputIds.length;
    }

    /**
     * What the loss averages over: for a causal LM the positions 1..T−1 whose label is not
     * {@link #IGNORE} (position t's logits predict label t+1, so label 0 is never used); 1 for a
     * classification example.
     */
    public int labelTokens() {
        if (labels == null) return 1;
        int n = 0;
        for (int t = 1; t < labels.length; t++) if (labels[t] != IGNORE) n++;
        return n;
    }
}
