package dev.qlora4j.tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/** Graph recording and the reverse-mode sweep. */
public final class Autograd {
    private Autograd() {}

    private static final ThreadLocal<int[]> DISABLED = ThreadLocal.withInitial(() -> new int[1]);

    /** A scope in which no graph is recorded; close it to restore the previous mode. */
    public static final class Scope implements AutoCloseable {
        private boolean open = true;

        private Scope() {
            DISABLED.get()[0]++;
        }

        @Override
        public void close() {
            if (open) {
                open = false;
                DISABLED.get()[0]--;
            }
        }
    }

    public static Scope noGrad() {
        return new Scope();
    }

    /** A scope in which recording is on even inside {@link #noGrad} or a backward sweep (recomputation). */
    public static final class EnabledScope implements AutoCloseable {
        private final int saved;
        private boolean open = true;

        private EnabledScope() {
            saved = DISABLED.get()[0];
            DISABLED.get()[0] = 0;
        }

        @Override
        public void close() {
            if (open) {
                open = false;
                DISABLED.get()[0] = saved;
            }
        }
    }

    public static EnabledScope enableGrad() {
        return new EnabledScope();
    }

    public static boolean enabled() {
        return DISABLED.get()[0] == 0;
    }

    /** Whether an op over these inputs has to record a node. */
    static boolean needsGraph(Tensor... inputs) {
        if (!enabled()) return false;
        for (Tensor t : inputs) if (t != null && t.requiresGrad) return true;
        return false;
    }

    /**
     * Attaches a node to {@code out} when any input requires grad (and recording is on).
     * Returns {@code out} for chaining.
     */
    static Tensor record(Tensor out, String name, Node.Backward backward, Tensor... inputs) {
        if (needsGraph(inputs)) {
            out.requiresGrad = true;
            out.gradFn = new Node(name, inputs, backward);
        }
        return out;
    }

    static void backward(Tensor root, Tensor seed) {
        if (!root.requiresGrad) throw new IllegalStateException("tensor does not require grad: " + root);
        if (seed == null) {
            if (root.numel() != 1) throw new IllegalStateException("backward() needs a scalar; got shape " + Shapes.str(root.shape));
            seed = Tensor.full(1f, root.shape);
        } else if (!Arrays.equals(seed.shape, root.shape)) {
            throw new IllegalArgumentException("gradient shape " + Shapes.str(seed.shape) + " != " + Shapes.str(root.shape));
        }
        List<Tensor> order = topologicalOrder(root);
        Map<Tensor, Tensor> pending = new IdentityHashMap<>();
        pending.put(root, seed);
        try (Scope ignored = noGrad()) {
            for (int n = order.size() - 1; n >= 0; n--) {
                // drop the list's reference as we go: once its node has run, nothing else holds an
                // activation, so it can be collected before the sweep ends (peak memory)
                Tensor t = order.set(n, null);
                Tensor g = pending.remove(t);
                if (g == null) continue;
                Node node = t.gradFn;
                if (node == null) {
                    accumulateLeaf(t, g);
                    continue;
                }
                if (node.released())
                    throw new IllegalStateException("backward through a graph that was already freed (" + node.name() + ")");
                Tensor[] inputs = node.inputs;
                Tensor[] grads = node.backward.apply(g, node.needsGrad);
                node.release();
                for (int i = 0; i < inputs.length; i++) {
                    if (!node.needsGrad[i] || grads[i] == null) continue;
                    Tensor in = inputs[i];
                    if (!Arrays.equals(grads[i].shape, in.shape))
                        throw new IllegalStateException(node.name() + " produced a gradient of shape " + Shapes.str(grads[i].shape)
                                + " for an input of shape " + Shapes.str(in.shape));
                    pending.merge(in, grads[i], Tensor::add);
                }
            }
        }
    }

    /**
     * Marks {@code g}, a gradient a backward function has just allocated and returns for exactly
     * one input without keeping it, as free to become a leaf's {@code grad} without a copy. (A
     * full-parameter step would otherwise copy every weight gradient once more.)
     */
    static Tensor owned(Tensor g) {
        if (g != null) g.ownedGradient = true;
        return g;
    }

    private static void accumulateLeaf(Tensor leaf, Tensor g) {
        if (leaf.grad == null) {
            if (g.ownedGradient && g.isDenseF32() && g.arrayOffset() == 0 && g.array().length == g.numel()) {
                // taken once: the same object reaching a second leaf is copied there
                g.ownedGradient = false;
                leaf.grad = g;
            } else {
                leaf.grad = Views.copy(g.dtype == DType.F32 ? g : g.to(DType.F32));
            }
        } else {
            Arith.addInPlace(leaf.grad, g);
        }
    }

    /** Tensors reachable from root through grad functions, every input before its consumers. */
    private static List<Tensor> topologicalOrder(Tensor root) {
        List<Tensor> order = new ArrayList<>();
        Map<Tensor, Boolean> seen = new IdentityHashMap<>();
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[]{root, 0});
        seen.put(root, Boolean.TRUE);
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Tensor t = (Tensor) frame[0];
            int next = (Integer) frame[1];
            Tensor[] inputs = t.gradFn == null || t.gradFn.released() ? new Tensor[0] : t.gradFn.inputs;
            if (next < inputs.length) {
                frame[1] = next + 1;
                Tensor in = inputs[next];
                if (in != null && in.requiresGrad && seen.put(in, Boolean.TRUE) == null) stack.push(new Object[]{in, 0});
            } else {
                stack.pop();
                order.add(t);
            }
        }
        return order;
    }
}
