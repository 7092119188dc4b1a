package dev.qlora4j.train.data;

import dev.qlora4j.model.config.Task;
import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.tensor.Tensor;

import java.util.List;

/**
 * Examples → a {@link PaddedBatch}: right padding to the longest row rounded up to a multiple of
 * {@code padToMultipleOf} (transformers' {@code pad_to_multiple_of}; 8 by default, which keeps
 * matrix shapes friendly to GPU kernels), attention mask 0 and label −100 at padding.
 */
public final class Collator {
    /** transformers' and TRL's usual {@code pad_to_multiple_of}. */
    public static final int DEFAULT_PAD_TO_MULTIPLE_OF = 8;

    private final Task task;
    private final Integer padId;
    private final int multiple;
    /** Packs as one padded row each (the GPU's layout) rather than all in one row. */
    private final boolean rowPerPack;

    /**
     * @param padId           the id written at padding; for a classifier the model's pad_token_id
     *                        (its head reads each row's last token that is not it), which may be
     *                        null: then rows are not padded and a batch of unequal rows is an error
     * @param padToMultipleOf 1 pads to the longest row exactly
     */
    public Collator(Task task, Integer padId, int padToMultipleOf) {
        this(task, padId, padToMultipleOf, false);
    }

    private Collator(Task task, Integer padId, int padToMultipleOf, boolean rowPerPack) {
        this.rowPerPack = rowPerPack;
        if (padToMultipleOf < 1) throw new IllegalArgumentException("pad_to_multiple_of must be at least 1, got " + padToMultipleOf);
        if (task == Task.CAUSAL_LM && padId == null) throw new IllegalArgumentException("a causal LM batch needs a pad id");
        this.task = task;
        this.padId = padId;
        this.multiple = padId == null ? 1 : padToMultipleOf;
    }

    public static Collator causal(int padId, int padToMultipleOf) {
        return new Collator(Task.CAUSAL_LM, padId, padToMultipleOf);
    }

    public static Collator classification(Integer padId, int padToMultipleOf) {
        return new Collator(Task.SEQUENCE_CLASSIFICATION, padId, padToMultipleOf);
    }

    public Task task() {
        return task;
    }

    /**
     * This collator with packs laid out one per row, right-padded to the longest pack (position ids restart per
     * sequence; padding continues the last one's and is masked): for the GPU, whose attention is dense per row, so
     * that a batch of P packs of L tokens costs P·L², not (P·L)².
     */
    public Collator rowPerPack() {
        return new Collator(task, padId, multiple, true);
    }

    /** The width of a batch whose longest row has {@code longest} tokens. */
    public int paddedLength(int longest) {
        return Math.ceilDiv(longest, multiple) * multiple;
    }

    public PaddedBatch collate(List<Example> examples) {
        if (examples.isEmpty()) throw new IllegalArgumentException("an empty batch");
        if (examples.getFirst().isPack()) return rowPerPack ? packRows(examples) : paddingFree(examples);
        int b = examples.size(), longest = 0, shortest = Integer.MAX_VALUE;
        for (Example e : examples) {
            if (e.isClassification() != (task == Task.SEQUENCE_CLASSIFICATION))
                throw new IllegalArgumentException(e.origin() + " is not a " + task.label() + " example");
            longest = Math.max(longest, e.length());
            shortest = Math.min(shortest, e.length());
        }
        if (padId == null && shortest != longest)
            throw BadInputException.at("pad_token_id", "config.json has no pad_token_id, which a classifier needs to pad rows of "
                    + shortest + " to " + longest + " tokens into one batch; set it or use a batch size of 1");
        int t = paddedLength(longest);
        int pad = padId == null ? 0 : padId;
        int[] ids = new int[b * t], mask = new int[b * t];
        int[] labels = task == Task.CAUSAL_LM ? new int[b * t] : new int[b];
        long labelTokens = 0;
        for (int i = 0; i < b; i++) {
            Example e = examples.get(i);
            int[] row = e.inputIds();
            for (int j = 0; j < t; j++) {
                boolean token = j < row.length;
                ids[i * t + j] = token ? row[j] : pad;
                mask[i * t + j] = token ? 1 : 0;
                if (task == Task.CAUSAL_LM) labels[i * t + j] = token ? e.labels()[j] : Example.IGNORE;
            }
            if (task == Task.SEQUENCE_CLASSIFICATION) labels[i] = e.classLabel();
            labelTokens += e.labelTokens();
        }
        Tensor labelTensor = task == Task.CAUSAL_LM ? Tensor.ofInts(labels, b, t) : Tensor.ofInts(labels, b);
        return new PaddedBatch(Tensor.ofInts(ids, b, t), Tensor.ofInts(mask, b, t), labelTensor, labelTokens);
    }

    /** The packs' label tokens; each must be a pack. */
    private static long packLabelTokens(List<Example> packs) {
        long labelTokens = 0;
        for (Example e : packs) {
            if (!e.isPack()) throw new IllegalArgumentException(e.origin() + " is not a pack, and a batch of packs has only packs");
            labelTokens += e.labelTokens();
        }
        return labelTokens;
    }

    /** Writes a pack's position ids, from 0 in every sequence, at {@code at}; returns the last sequence's length. */
    private static int positions(Example pack, int[] positions, int at) {
        int last = 0;
        for (int len : pack.sequences()) {
            for (int p = 0; p < len; p++) positions[at + p] = p;
            at += len;
            last = len;
        }
        return last;
    }

    private PaddedBatch packRows(List<Example> packs) {
        int b = packs.size(), longest = 0;
        long labelTokens = packLabelTokens(packs);
        for (Example e : packs) longest = Math.max(longest, e.length());
        int t = paddedLength(longest);
        int[] ids = new int[b * t], mask = new int[b * t], labels = new int[b * t], positions = new int[b * t];
        java.util.Arrays.fill(ids, padId);
        java.util.Arrays.fill(labels, Example.IGNORE);
        for (int r = 0; r < b; r++) {
            Example e = packs.get(r);
            System.arraycopy(e.inputIds(), 0, ids, r * t, e.length());
            System.arraycopy(e.labels(), 0, labels, r * t, e.length());
            java.util.Arrays.fill(mask, r * t, r * t + e.length(), 1);
            int last = positions(e, positions, r * t);
            for (int j = e.length(); j < t; j++) positions[r * t + j] = last++;
        }
        return new PaddedBatch(Tensor.ofInts(ids, b, t), Tensor.ofInts(mask, b, t), Tensor.ofInts(labels, b, t), labelTokens,
                Tensor.ofInts(positions, b, t));
    }

    /**
     * Packs → one row of all their tokens, no padding, with position ids restarting at 0 in every sequence
     * (TRL's padding_free collation: transformers reads the sequences off the position ids).
     */
    private PaddedBatch paddingFree(List<Example> packs) {
        int n = 0;
        long labelTokens = packLabelTokens(packs);
        for (Example e : packs) n += e.length();
        int[] ids = new int[n], labels = new int[n], positions = new int[n], mask = new int[n];
        int at = 0;
        for (Example e : packs) {
            System.arraycopy(e.inputIds(), 0, ids, at, e.length());
            System.arraycopy(e.labels(), 0, labels, at, e.length());
            positions(e, positions, at);
            at += e.length();
        }
        java.util.Arrays.fill(mask, 1);
        return new PaddedBatch(Tensor.ofInts(ids, 1, n), Tensor.ofInts(mask, 1, n), Tensor.ofInts(labels, 1, n), labelTokens,
                Tensor.ofInts(positions, 1, n));
    }
}
