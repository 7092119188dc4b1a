package dev.qlora4j.train.trainer;

import dev.qlora4j.model.config.Task;
import dev.qlora4j.train.compute.Compute;
import dev.qlora4j.train.data.Collator;
import dev.qlora4j.train.data.Example;
import dev.qlora4j.train.data.PaddedBatch;
import dev.qlora4j.train.dist.World;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The evaluation of a run, as HF Trainer's evaluation loop computes it: batches in file order,
 * each batch's mean loss weighted by its number of rows ({@code eval_loss}); a causal LM adds
 * {@code eval_perplexity} = exp(eval_loss), a classifier {@code eval_accuracy} and
 * {@code eval_log_loss} (its cross-entropy, the log-loss of the softmax probabilities).
 */
final class Evaluation {
    private Evaluation() {}

    /**
     * With several ranks, batch i (in file order) is evaluated by rank i mod ranks and the sums
     * are reduced, so every rank gets the one-process result.
     */
    static Map<String, Double> run(Compute compute, Task task, List<Example> examples, Collator collator, int batchSize, World world) {
        double lossSum = 0;
        long rows = 0, correct = 0;
        boolean classifier = task == Task.SEQUENCE_CLASSIFICATION;
        for (int from = 0, batch = 0; from < examples.size(); from += batchSize, batch++) {
            if (batch % world.size() != world.rank()) continue;
            PaddedBatch b = collator.collate(examples.subList(from, Math.min(examples.size(), from + batchSize)));
            if (!classifier && b.labelTokens() == 0) continue;   // nothing to predict in this batch
            Compute.Evaluated e = compute.evaluate(b);
            if (classifier) {
                int[] labels = b.labels().toIntArray();
                for (int i = 0; i < labels.length; i++) if (e.predicted()[i] == labels[i]) correct++;
            }
            lossSum += e.loss() * b.rows();
            rows += b.rows();
        }
        if (world.distributed()) {
            double[] sums = {lossSum, rows, correct};
            world.allReduceSum(sums, "the evaluation");
            lossSum = sums[0];
            rows = (long) sums[1];
            correct = (long) sums[2];
        }
        Map<String, Double> m = new LinkedHashMap<>();
        double loss = rows == 0 ? Double.NaN : lossSum / rows;
        m.put("eval_loss", loss);
        if (classifier) {
            m.put("eval_accuracy", rows == 0 ? Double.NaN : (double) correct / rows);
            m.put("eval_log_loss", loss);
        } else {
            m.put("eval_perplexity", Math.exp(loss));
        }
        return m;
    }
}
