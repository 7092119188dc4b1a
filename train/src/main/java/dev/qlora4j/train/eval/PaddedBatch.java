package dev.qlora4j.train.eval;

import dev.qlora4j.tensor.CrossEntropy;
import dev.qlora4j.tensor.Tensor;

import java.util.List;

/**
 * Token rows padded on the right to one length, as transformers' collators pad for training
 * and evaluation.
 *
 * @param ids    [B, T] the tokens, then the pad id
 * @param mask   [B, T] 1 at tokens, 0 at padding
 * @param labels [B, T] the tokens, −100 (ignored by the loss) at padding
 */
public record PaddedBatch(Tensor ids, Tensor mask, Tensor labels) {
    public static PaddedBatch rightPadded(List<int[]> rows, int padId) {
        int b = rows.size(), t = 0;
        for (int[] r : rows) t = Math.max(t, r.length);
        int[] ids = new int[b * t], mask = new int[b * t], labels = new int[b * t];
        for (int i = 0; i < b; i++) {
            int[] r = rows.get(i);
            for (int j = 0; j < t; j++) {
                boolean token = j < r.length;
                ids[i * t + j] = token ? r[j] : padId;
                mask[i * t + j] = token ? 1 : 0;
                labels[i * t + j] = token ? r[j] : CrossEntropy.IGNORE_INDEX;
            }
        }
        return new PaddedBatch(Tensor.ofInts(ids, b, t), Tensor.ofInts(mask, b, t), Tensor.ofInts(labels, b, t));
    }
}
