package dev.qlora4j.train.optim;

/** A parameter update rule with state (moments), stepped once per optimizer step. */
public interface Optimizer {
    /** One update with learning rate {@code lr}; parameters without a gradient are skipped. */
    void step(float lr);

    void zeroGrad();

    /** Updates made so far (the bias-correction step count). */
    int stepCount();

    /** Bytes the optimizer state takes (moments, scales). */
    long stateBytes();

    /** The whole state as named tensors (for a checkpoint), parameter i's entries prefixed "i.". */
    java.util.Map<String, dev.qlora4j.tensor.Tensor> stateDict();

    /** Restores {@link #stateDict} output of an optimizer over the same parameters. */
    void loadStateDict(java.util.Map<String, dev.qlora4j.tensor.Tensor> state, int step);
}
