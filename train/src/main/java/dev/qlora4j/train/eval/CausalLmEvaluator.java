package dev.qlora4j.train.eval;

import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.tensor.CrossEntropy;
import dev.qlora4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Next-token cross-entropy of a causal LM over token rows: each position predicts the next
 * token of its row. The loss is the sum over every predicted token of every row divided by
 * their number, so neither the batch size nor the padding changes it (each batch contributes
 * its sum, not its mean).
 */
public final class CausalLmEvaluator {
    private CausalLmEvaluator() {}

    /**
     * @param loss       mean cross-entropy per predicted token
     * @param perplexity exp(loss)
     * @param tokens     predicted tokens: every row's length minus one
     */
    public record Result(double loss, double perplexity, long tokens) {}

    /**
     * @param rows       token rows; a row shorter than two tokens predicts nothing and is skipped
     * @param padId      fills the padded positions (masked out and ignored by the loss)
     * @param onBatch    told how many rows are done after each batch
     */
    public static Result evaluate(Transformer model, List<int[]> rows, int batchSize, int padId, IntConsumer onBatch) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        List<int[]> useful = new ArrayList<>();
        for (int[] r : rows) if (r.length >= 2) useful.add(r);
        double sum = 0;
        long tokens = 0;
        try (var ignored = Tensor.noGrad()) {
            for (int start = 0; start < useful.size(); start += batchSize) {
                List<int[]> part = useful.subList(start, Math.min(useful.size(), start + batchSize));
                PaddedBatch batch = PaddedBatch.rightPadded(part, padId);
                sum += model.causalLmLoss(batch.ids(), batch.mask(), batch.labels(), CrossEntropy.Reduction.SUM).item();
                for (int[] r : part) tokens += r.length - 1;
                onBatch.accept(start + part.size());
            }
        }
        double loss = sum / tokens;
        return new Result(loss, Math.exp(loss), tokens);
    }
}
