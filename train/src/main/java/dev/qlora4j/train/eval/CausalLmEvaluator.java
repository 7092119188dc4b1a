package dev.qlora4j.train.eval;

import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.train.compute.Compute;
import dev.qlora4j.tensor.CrossEntropy;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.train.data.Collator;
import dev.qlora4j.train.data.Example;
import dev.qlora4j.train.data.PaddedBatch;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Next-token cross-entropy of a causal LM over examples: each position predicts the next
 * token's label (positions whose label is −100 are left out). The loss is the sum over every
 * predicted label of every example divided by their number, so neither the batch size nor the
 * padding changes it (each batch contributes its sum, not its mean).
 */
public final class CausalLmEvaluator {
    private CausalLmEvaluator() {}

    /**
     * @param loss       mean cross-entropy per predicted token
     * @param perplexity exp(loss)
     * @param tokens     predicted tokens: the examples' {@link Example#labelTokens()}
     */
    public record Result(double loss, double perplexity, long tokens) {}

    /**
     * @param examples examples without a label to predict (a single token, or all masked) are skipped
     * @param onBatch  told how many examples are done after each batch
     */
    public static Result evaluate(Transformer model, List<Example> examples, Collator collator, int batchSize, IntConsumer onBatch) {
        return evaluate(new Compute.Cpu(model), examples, collator, batchSize, onBatch);
    }

    public static Result evaluate(Compute model, List<Example> examples, Collator collator, int batchSize, IntConsumer onBatch) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        List<Example> useful = new ArrayList<>();
        for (Example e : examples) if (e.labelTokens() > 0) useful.add(e);
        double sum = 0;
        long tokens = 0;
        for (int start = 0; start < useful.size(); start += batchSize) {
            List<Example> part = useful.subList(start, Math.min(useful.size(), start + batchSize));
            PaddedBatch batch = collator.collate(part);
            sum += model.causalLossSum(batch);
            tokens += batch.labelTokens();
            onBatch.accept(start + part.size());
        }
        double loss = sum / tokens;
        return new Result(loss, Math.exp(loss), tokens);
    }
}
