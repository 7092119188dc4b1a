package dev.qlora4j.train.demo.build;

import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.tensor.CrossEntropy;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.train.data.Collator;
import dev.qlora4j.train.data.Example;
import dev.qlora4j.train.data.PaddedBatch;
import dev.qlora4j.train.optim.AdamW;
import dev.qlora4j.train.trainer.GradientClipping;
import dev.qlora4j.train.trainer.LrSchedule;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Full-parameter pretraining of the base model: documents are packed whole into rows of up to
 * {@code block} tokens (a document never straddles two rows), every token is learned, AdamW
 * with linear warmup and cosine decay, gradient norm clipped to 1. Rows are visited in a fresh
 * seeded order each epoch.
 */
final class Pretraining {
    record Settings(int steps, int rowsPerStep, int block, double learningRate, double warmupShare, double weightDecay, long seed) {}

    record Result(double firstLoss, double finalTrainLoss, double evalLoss, long tokensSeen, double seconds) {}

    private Pretraining() {}

    /** Packs token sequences into rows, each at most {@code block} long (longer documents are cut). */
    static List<Example> pack(List<int[]> docs, int block) {
        List<Example> rows = new ArrayList<>();
        List<Integer> row = new ArrayList<>();
        for (int[] doc : docs) {
            int n = Math.min(doc.length, block);
            if (row.size() + n > block) {
                rows.add(example(row, rows.size()));
                row.clear();
            }
            for (int i = 0; i < n; i++) row.add(doc[i]);
        }
        if (!row.isEmpty()) rows.add(example(row, rows.size()));
        return rows;
    }

    private static Example example(List<Integer> tokens, int index) {
        return Example.causal("row " + index, index, tokens.stream().mapToInt(Integer::intValue).toArray());
    }

    static Result run(Transformer model, List<Example> train, List<Example> eval, int padId, Settings s, PrintStream log) {
        Collator collator = Collator.causal(padId, 8);
        AdamW opt = new AdamW(model.trainableParameters(), 0.9f, 0.95f, 1e-8f, (float) s.weightDecay());
        long warmup = Math.round(s.warmupShare() * s.steps());
        List<Integer> order = new ArrayList<>();
        Random rng = new Random(s.seed());
        int cursor = 0;
        double first = Double.NaN, window = 0;
        int windowSteps = 0;
        double lastWindow = Double.NaN;
        long tokens = 0, start = System.nanoTime();
        for (int step = 0; step < s.steps(); step++) {
            List<Example> batch = new ArrayList<>();
            for (int i = 0; i < s.rowsPerStep(); i++) {
                if (cursor == order.size()) {
                    order.clear();
                    for (int r = 0; r < train.size(); r++) order.add(r);
                    Collections.shuffle(order, rng);
                    cursor = 0;
                }
                batch.add(train.get(order.get(cursor++)));
            }
            PaddedBatch b = collator.collate(batch);
            Tensor loss = model.causalLmLoss(b.inputIds(), b.attentionMask(), b.labels(), CrossEntropy.Reduction.SUM)
                    .div(Tensor.scalar(b.labelTokens()));
            loss.backward();
            double norm = GradientClipping.clip(model.trainableParameters(), 1.0);
            double lr = s.learningRate() * (0.1 + 0.9 * LrSchedule.COSINE.factor(step, warmup, s.steps()));
            if (step < warmup) lr = s.learningRate() * LrSchedule.COSINE.factor(step, warmup, s.steps());
            opt.step((float) lr);
            opt.zeroGrad();
            double l = loss.item();
            if (step == 0) first = l;
            window += l;
            windowSteps++;
            for (int v : b.attentionMask().toIntArray()) tokens += v;
            if ((step + 1) % 50 == 0 || step + 1 == s.steps()) {
                lastWindow = window / windowSteps;
                double secs = (System.nanoTime() - start) / 1e9;
                log.printf(Locale.ROOT, "step %d/%d  loss %.4f  grad_norm %.3f  lr %.2e  %.0f tokens/s  %.0f s%n", step + 1, s.steps(),
                        lastWindow, norm, lr, tokens / secs, secs);
                window = 0;
                windowSteps = 0;
            }
            if ((step + 1) % 500 == 0 && step + 1 < s.steps())
                log.printf(Locale.ROOT, "  eval loss %.4f%n", evalLoss(model, eval, collator));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Result(first, lastWindow, evalLoss(model, eval, collator), tokens, seconds);
    }

    /** Mean cross-entropy over every predicted token of the rows. */
    static double evalLoss(Transformer model, List<Example> rows, Collator collator) {
        double sum = 0;
        long n = 0;
        try (var ignored = Tensor.noGrad()) {
            for (int i = 0; i < rows.size(); i += 16) {
                PaddedBatch b = collator.collate(rows.subList(i, Math.min(rows.size(), i + 16)));
                sum += model.causalLmLoss(b.inputIds(), b.attentionMask(), b.labels(), CrossEntropy.Reduction.SUM).item();
                n += b.labelTokens();
            }
        }
        return sum / n;
    }
}
