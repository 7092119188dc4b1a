package dev.qlora4j.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Gradient checkpointing (torch.utils.checkpoint): {@code y = fn(x)} is computed without recording,
 * so none of fn's intermediate activations stay alive; the only thing kept is x. In backward, fn is
 * run again from x with recording on and the gradient flows through that recomputation. Peak
 * memory for a stack of checkpointed layers is then the layer inputs plus one layer's activations.
 *
 * <p>fn must compute the same thing twice: it is deterministic as long as every random draw comes
 * from the {@code generators} passed here, whose states are saved before the forward and restored
 * for the recomputation (dropout masks replay exactly).
 */
public final class Checkpoint {
    private Checkpoint() {}

    /**
     * @param params the trainable tensors fn reads: they make the result require grad even when x
     *               does not, and get their gradients (into {@code grad}) from the recomputation
     */
    // x [any] → fn(x)
    public static Tensor apply(UnaryOperator<Tensor> fn, Tensor x, List<Tensor> params, Generator... generators) {
        List<Tensor> inputs = new ArrayList<>(params.size() + 1);
        inputs.add(x);
        inputs.addAll(params);
        Tensor[] in = inputs.toArray(Tensor[]::new);
        if (!Autograd.needsGraph(in)) return fn.apply(x);
        Generator.State[] saved = new Generator.State[generators.length];
        for (int i = 0; i < generators.length; i++) saved[i] = generators[i].state();
        Tensor out;
        try (var ignored = Autograd.noGrad()) {
            out = fn.apply(x);
        }
        return Autograd.record(out, "checkpoint", (g, needs) -> {
            Generator.State[] after = new Generator.State[generators.length];
            for (int i = 0; i < generators.length; i++) {
                after[i] = generators[i].state();
                generators[i].restore(saved[i]);
            }
            Tensor xi = x.detach().requiresGrad(needs[0]);
            Tensor y;
            try (var on = Autograd.enableGrad()) {
                y = fn.apply(xi);
            }
            for (int i = 0; i < generators.length; i++) generators[i].restore(after[i]);
            if (y.requiresGrad) Autograd.backward(y, g);
            Tensor[] grads = new Tensor[in.length];
            grads[0] = needs[0] ? xi.grad : null;
            return grads;
        }, in);
    }
}
