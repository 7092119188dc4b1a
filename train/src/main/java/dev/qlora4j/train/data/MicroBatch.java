package dev.qlora4j.train.data;

import java.util.List;

/**
 * One micro-batch of the training run.
 *
 * @param index        its global position: epoch · microBatchesPerEpoch + indexInEpoch (from 0)
 * @param epoch        from 0
 * @param indexInEpoch from 0
 * @param examples     the examples, in the epoch's order (the last micro-batch of an epoch may be smaller)
 */
public record MicroBatch(long index, int epoch, int indexInEpoch, List<Example> examples) {
    public MicroBatch {
        examples = List.copyOf(examples);
    }
}
