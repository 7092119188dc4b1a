package dev.qlora4j.tensor;

/**
 * One recorded op in the autograd graph: the inputs it read and the function that turns the
 * gradient of its output into gradients of those inputs. The backward function captures whatever
 * the forward saved; {@link Autograd} drops it once it has run, so saved activations become
 * garbage as soon as backward has consumed them.
 */
public final class Node {
    /** Gradients of the inputs (null where an input needs none) from the gradient of the output. */
    @FunctionalInterface
    public interface Backward {
        Tensor[] apply(Tensor gradOutput, boolean[] needsGrad);
    }

    private final String name;
    Tensor[] inputs;
    Backward backward;
    final boolean[] needsGrad;

    Node(String name, Tensor[] inputs, Backward backward) {
        this.name = name;
        this.inputs = inputs;
        this.backward = backward;
        this.needsGrad = new boolean[inputs.length];
        for (int i = 0; i < inputs.length; i++) needsGrad[i] = inputs[i] != null && inputs[i].requiresGrad;
    }

    public String name() {
        return name;
    }

    /** Whether backward already ran and released what the forward saved. */
    public boolean released() {
        return backward == null;
    }

    void release() {
        backward = null;
        inputs = null;
    }
}
