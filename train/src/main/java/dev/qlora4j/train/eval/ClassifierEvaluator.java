package dev.qlora4j.train.eval;

import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.tensor.CrossEntropy;
import dev.qlora4j.tensor.Tensor;

import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;

/** Cross-entropy and argmax accuracy of a sequence classifier over labelled token rows. */
public final class ClassifierEvaluator {
    private ClassifierEvaluator() {}

    /**
     * @param loss     mean cross-entropy per example
     * @param accuracy share of examples whose largest logit is their label
     * @param examples rows evaluated
     */
    public record Result(double loss, double accuracy, int examples) {}

    /**
     * @param labels one class index per row
     * @param padId  the model's pad_token_id: the head reads each row's last token that is not it
     */
    public static Result evaluate(Transformer model, List<int[]> rows, int[] labels, int batchSize, int padId,
                                  IntConsumer onBatch) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        if (labels.length != rows.size()) throw new IllegalArgumentException(labels.length + " labels for " + rows.size() + " rows");
        double sum = 0;
        int correct = 0;
        try (var ignored = Tensor.noGrad()) {
            for (int start = 0; start < rows.size(); start += batchSize) {
                int end = Math.min(rows.size(), start + batchSize);
                PaddedBatch batch = PaddedBatch.rightPadded(rows.subList(start, end), padId);
                Tensor target = Tensor.ofInts(Arrays.copyOfRange(labels, start, end), end - start);
                Tensor logits = model.classify(batch.ids(), batch.mask());
                sum += CrossEntropy.apply(logits, target, CrossEntropy.Reduction.SUM).item();
                long[] predicted = logits.argmax(1, false).toLongArray();
                for (int i = 0; i < predicted.length; i++) if (predicted[i] == labels[start + i]) correct++;
                onBatch.accept(end);
            }
        }
        int n = rows.size();
        return new Result(sum / n, (double) correct / n, n);
    }
}
