package dev.qlora4j.tensor;

import java.util.ArrayList;
import java.util.List;

/** concat, stack, split and index-select, with their backward. */
final class Joins {
    private Joins() {}

    // parts [.., n_i, ..] → [.., Σ n_i, ..]
    static Tensor concat(int dim, List<Tensor> parts) {
        if (parts.isEmpty()) throw new IllegalArgumentException("concat of nothing");
        Tensor first = parts.getFirst();
        int d = Shapes.dim(dim, first.rank());
        int[] shape = first.shape.clone();
        shape[d] = 0;
        DType type = first.dtype;
        for (Tensor p : parts) {
            if (p.rank() != first.rank()) throw new IllegalArgumentException("concat of tensors with different ranks");
            for (int i = 0; i < p.rank(); i++)
                if (i != d && p.shape[i] != first.shape[i])
                    throw new IllegalArgumentException("concat shapes " + Shapes.str(first.shape) + " and " + Shapes.str(p.shape));
            shape[d] += p.shape[d];
            if (p.dtype != type) type = DType.F32;
        }
        Tensor out = Tensor.zeros(type, shape);
        int[] starts = new int[parts.size()];
        int at = 0;
        for (int i = 0; i < parts.size(); i++) {
            starts[i] = at;
            Views.copyInto(parts.get(i).detach(), out.detach().narrow(d, at, parts.get(i).shape[d]));
            at += parts.get(i).shape[d];
        }
        Tensor[] inputs = parts.toArray(new Tensor[0]);
        return Autograd.record(out, "concat", (g, needs) -> {
            Tensor[] grads = new Tensor[inputs.length];
            for (int i = 0; i < inputs.length; i++) if (needs[i]) grads[i] = g.narrow(d, starts[i], inputs[i].shape[d]);
            return grads;
        }, inputs);
    }

    // parts [..] → [.., k, ..] with a new dimension at dim
    static Tensor stack(int dim, List<Tensor> parts) {
        if (parts.isEmpty()) throw new IllegalArgumentException("stack of nothing");
        int d = Shapes.dim(dim, parts.getFirst().rank() + 1);
        List<Tensor> expanded = new ArrayList<>(parts.size());
        for (Tensor p : parts) expanded.add(p.unsqueeze(d));
        return concat(d, expanded);
    }

    // x [.., Σ sizes, ..] → views of the given sizes along dim
    static List<Tensor> split(Tensor x, int dim, int... sizes) {
        int d = Shapes.dim(dim, x.rank());
        int total = 0;
        for (int s : sizes) total += s;
        if (total != x.shape[d])
            throw new IllegalArgumentException("split sizes sum to " + total + ", dimension has " + x.shape[d]);
        List<Tensor> out = new ArrayList<>(sizes.length);
        int at = 0;
        for (int s : sizes) {
            out.add(x.narrow(d, at, s));
            at += s;
        }
        return out;
    }

    // x [.., n, ..], index [m] (integer) → [.., m, ..]
    static Tensor indexSelect(Tensor x, int dim, Tensor index) {
        int d = Shapes.dim(dim, x.rank());
        if (index.rank() != 1 || index.dtype.isFloatingPoint())
            throw new IllegalArgumentException("index must be a 1-D integer tensor: " + index);
        int[] idx = index.toIntArray();
        for (int i : idx)
            if (i < 0 || i >= x.shape[d]) throw new IndexOutOfBoundsException("index " + i + " outside dimension of size " + x.shape[d]);
        int[] shape = x.shape.clone();
        shape[d] = idx.length;
        Tensor out = Tensor.zeros(x.dtype, shape);
        Tensor src = x.detach(), dst = out.detach();
        for (int i = 0; i < idx.length; i++) Views.copyInto(src.select(d, idx[i]), dst.select(d, i));
        int[] inShape = x.shape;
        return Autograd.record(out, "index_select", (g, needs) -> {
            Tensor gx = Tensor.zeros(inShape);
            for (int i = 0; i < idx.length; i++) {
                Tensor slot = gx.select(d, idx[i]);
                Arith.addInPlace(slot, g.select(d, i));
            }
            return new Tensor[]{gx, null};
        }, x, index);
    }
}
