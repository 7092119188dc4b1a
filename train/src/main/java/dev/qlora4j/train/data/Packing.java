package dev.qlora4j.train.data;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * TRL's packing (trl.data_utils.pack_dataset) of causal LM examples into packs of at most
 * {@code max_length} tokens.
 *
 * <ul>
 *   <li>{@link Strategy#BFD}, best-fit decreasing: each example (already cut to max_length) goes, longest
 *       first (ties in their order), into the open pack whose free space is the smallest that holds it;
 *       among packs with equally much space, the one that got to it first; none: a new pack. Packs come
 *       out in the order they were opened, their sequences in the order they went in. Sequences are never
 *       cut, and keep their own positions: attention and labels never cross them.</li>
 *   <li>{@link Strategy#WRAPPED}: every token of every example back to back, cut every max_length tokens;
 *       a pack is one sequence (TRL: no seq_lengths), so attention crosses the examples in it.</li>
 * </ul>
 * In a pack, the first token of every sequence has the label {@link Example#IGNORE}: the last token of one
 * sequence never learns to predict the first of the next (position t's logits predict label t + 1).
 */
public final class Packing {
    private Packing() {}

    /** TRL's packing_strategy. */
    public enum Strategy {
        BFD("bfd"), WRAPPED("wrapped");

        private final String key;

        Strategy(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }
    }

    public static List<Example> pack(List<Example> examples, int maxLength, Strategy strategy) {
        for (Example e : examples)
            if (e.isClassification()) throw new IllegalArgumentException("packing applies to causal LM examples, not " + e.origin());
        return strategy == Strategy.BFD ? bfd(examples, maxLength) : wrapped(examples, maxLength);
    }

    /** padding_free without packing: every example a pack of its own (TRL collates them into one row all the same). */
    public static List<Example> each(List<Example> examples) {
        List<Example> out = new ArrayList<>(examples.size());
        for (Example e : examples) {
            if (e.isClassification()) throw new IllegalArgumentException("padding_free applies to causal LM examples, not " + e.origin());
            int[] labels = e.labels().clone();
            labels[0] = Example.IGNORE;
            out.add(new Example(e.origin(), e.id(), e.inputIds(), labels, -1, new int[]{e.length()}));
        }
        return out;
    }

    /** One line for the run's log: how the training examples were packed. */
    public static String describe(List<Example> packs, Strategy strategy, int maxLength) {
        long tokens = 0, sequences = 0;
        for (Example e : packs) {
            tokens += e.length();
            sequences += e.sequences().length;
        }
        if (strategy == null)
            return "padding_free: " + packs.size() + " examples, each micro-batch one row of them back to back";
        return String.format(java.util.Locale.ROOT, "packing (%s): %d sequences in %d packs of at most %d tokens, %.1f %% full",
                strategy.key(), sequences, packs.size(), maxLength, 100.0 * tokens / ((double) packs.size() * maxLength));
    }

    /** The packs of BFD as lists of indices into {@code lengths} (each length already at most capacity). */
    static List<List<Integer>> bestFitDecreasing(int[] lengths, int capacity) {
        Integer[] order = new Integer[lengths.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> -lengths[i]));   // stable: ties keep their order
        List<List<Integer>> packs = new ArrayList<>();
        List<Integer> free = new ArrayList<>();
        // free space → the open packs with exactly that much, the oldest first; ceiling finds the smallest space ≥ n
        TreeMap<Integer, ArrayDeque<Integer>> bySpace = new TreeMap<>();
        for (int i : order) {
            int n = lengths[i];
            if (n == 0) continue;
            Map.Entry<Integer, ArrayDeque<Integer>> fit = bySpace.ceilingEntry(n);
            int pack;
            if (fit != null) {
                pack = fit.getValue().pollFirst();
                if (fit.getValue().isEmpty()) bySpace.remove(fit.getKey());
            } else {
                pack = packs.size();
                packs.add(new ArrayList<>());
                free.add(capacity);
            }
            packs.get(pack).add(i);
            int left = free.get(pack) - n;
            free.set(pack, left);
            if (left > 0) bySpace.computeIfAbsent(left, k -> new ArrayDeque<>()).addLast(pack);
        }
        return packs;
    }

    private static List<Example> bfd(List<Example> examples, int maxLength) {
        int[] lengths = new int[examples.size()];
        for (int i = 0; i < lengths.length; i++) lengths[i] = Math.min(maxLength, examples.get(i).length());
        List<Example> out = new ArrayList<>();
        for (List<Integer> pack : bestFitDecreasing(lengths, maxLength)) {
            int total = 0;
            for (int i : pack) total += lengths[i];
            int[] ids = new int[total], labels = new int[total], sequences = new int[pack.size()];
            int at = 0;
            for (int k = 0; k < pack.size(); k++) {
                Example e = examples.get(pack.get(k));
                int n = lengths[pack.get(k)];
                System.arraycopy(e.inputIds(), 0, ids, at, n);
                System.arraycopy(e.labels(), 0, labels, at, n);
                labels[at] = Example.IGNORE;
                sequences[k] = n;
                at += n;
            }
            Example first = examples.get(pack.getFirst());
            String origin = pack.size() == 1 ? first.origin() : first.origin() + " and " + (pack.size() - 1) + " more (a pack)";
            out.add(new Example(origin, first.id(), ids, labels, -1, sequences));
        }
        return out;
    }

    private static List<Example> wrapped(List<Example> examples, int maxLength) {
        int total = 0;
        for (Example e : examples) total += e.length();
        int[] ids = new int[total], labels = new int[total];
        int at = 0;
        for (Example e : examples) {
            System.arraycopy(e.inputIds(), 0, ids, at, e.length());
            System.arraycopy(e.labels(), 0, labels, at, e.length());
            at += e.length();
        }
        List<Example> out = new ArrayList<>();
        for (int from = 0; from < total; from += maxLength) {
            int to = Math.min(total, from + maxLength);
            int[] l = Arrays.copyOfRange(labels, from, to);
            l[0] = Example.IGNORE;
            out.add(new Example("pack " + out.size() + " (wrapped)", out.size(), Arrays.copyOfRange(ids, from, to), l, -1,
                    new int[]{to - from}));
        }
        return out;
    }
}
