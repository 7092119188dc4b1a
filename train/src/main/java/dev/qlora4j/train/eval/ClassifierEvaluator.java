package dev.qlora4j.train.eval;

import dev.qlora4j.train.compute.Compute;
import dev.qlora4j.tensor.CrossEntropy;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.train.data.Collator;
import dev.qlora4j.train.data.Example;
import dev.qlora4j.train.data.PaddedBatch;

import java.util.List;
import java.util.function.IntConsumer;

/** Cross-entropy and argmax accuracy of a sequence classifier over labelled examples. */
public final class ClassifierEvaluator {
    private ClassifierEvaluator() {}

    /**
     * @param loss     mean cross-entropy per example
     * @param accuracy share of examples whose largest logit is their label
     * @param examples examples evaluated
     */
    public record Result(double loss, double accuracy, int examples) {}

    /**
     * @param collator pads with the model's pad_token_id: the head reads each row's last token that is not it
     */
    public static Result evaluate(Compute model, List<Example> examples, Collator collator, int batchSize, IntConsumer onBatch) {
        double[] sum = {0};
        int[] correct = {0};
        forEachBatch(model, examples, collator, batchSize, onBatch, (batch, logits, start) -> {
            sum[0] += CrossEntropy.apply(logits, batch.labels(), CrossEntropy.Reduction.SUM).item();
            long[] predicted = logits.argmax(1, false).toLongArray();
            for (int i = 0; i < predicted.length; i++) if (predicted[i] == examples.get(start + i).classLabel()) correct[0]++;
        });
        int n = examples.size();
        return new Result(sum[0] / n, (double) correct[0] / n, n);
    }

    /**
     * Class probabilities per example: the softmax of the head's logits (in double, after
     * subtracting the row's largest logit), rows in the examples' order. Labels are not read.
     */
    public static double[][] probabilities(Compute model, List<Example> examples, Collator collator, int batchSize,
                                           IntConsumer onBatch) {
        double[][] out = new double[examples.size()][];
        forEachBatch(model, examples, collator, batchSize, onBatch, (batch, logits, start) -> {
            int classes = logits.size(-1);
            float[] values = logits.contiguous().toFloatArray();
            for (int r = 0; r < batch.rows(); r++) out[start + r] = softmax(values, r * classes, classes);
        });
        return out;
    }

    /** What is done with one batch's logits; {@code start} is the index of its first example. */
    private interface BatchLogits {
        void accept(PaddedBatch batch, Tensor logits, int start);
    }

    /** The head's logits batch by batch, without gradients; {@code onBatch} hears how many examples are done. */
    private static void forEachBatch(Compute model, List<Example> examples, Collator collator, int batchSize, IntConsumer onBatch,
                                     BatchLogits body) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        for (int start = 0; start < examples.size(); start += batchSize) {
            int end = Math.min(examples.size(), start + batchSize);
            PaddedBatch batch = collator.collate(examples.subList(start, end));
            Tensor logits = model.classifierLogits(batch);
            try (var ignored = Tensor.noGrad()) {
                body.accept(batch, logits, start);
            }
            onBatch.accept(end);
        }
    }

    private static double[] softmax(float[] logits, int from, int n) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int i = 0; i < n; i++) max = Math.max(max, logits[from + i]);
        double[] p = new double[n];
        for (int i = 0; i < n; i++) sum += p[i] = Math.exp(logits[from + i] - max);
        for (int i = 0; i < n; i++) p[i] /= sum;
        return p;
    }
}
