package dev.qlora4j.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.function.LongConsumer;

/**
 * Views (they share storage and only change shape/strides/offset) and copies, each with its
 * backward. A view's gradient is the inverse view of the output gradient.
 */
final class Views {
    private Views() {}

    // x [..] → same elements, new shape; a view when x is contiguous, a copy otherwise
    static Tensor reshape(Tensor x, int... newShape) {
        return x.isContiguous() ? view(x, newShape) : view(copy(x), newShape);
    }

    static Tensor view(Tensor x, int... newShape) {
        int[] shape = Shapes.infer(newShape, x.numel());
        if (!x.isContiguous()) throw new IllegalStateException("view of a non-contiguous tensor; use reshape");
        Tensor out = new Tensor(x.data, x.dtype, shape, Shapes.contiguousStrides(shape), x.offset);
        int[] inShape = x.shape;
        return Autograd.record(out, "view", (g, needs) -> new Tensor[]{reshape(g, inShape)}, x);
    }

    // x [.., a, .., b, ..] → [.., b, .., a, ..]
    static Tensor transpose(Tensor x, int d0, int d1) {
        int a = Shapes.dim(d0, x.rank()), b = Shapes.dim(d1, x.rank());
        int[] shape = x.shape.clone();
        long[] strides = x.strides.clone();
        shape[a] = x.shape[b];
        shape[b] = x.shape[a];
        strides[a] = x.strides[b];
        strides[b] = x.strides[a];
        Tensor out = new Tensor(x.data, x.dtype, shape, strides, x.offset);
        return Autograd.record(out, "transpose", (g, needs) -> new Tensor[]{transpose(g, a, b)}, x);
    }

    static Tensor permute(Tensor x, int... dims) {
        if (dims.length != x.rank()) throw new IllegalArgumentException("permute needs " + x.rank() + " dims");
        int[] shape = new int[dims.length];
        long[] strides = new long[dims.length];
        int[] inverse = new int[dims.length];
        boolean[] used = new boolean[dims.length];
        for (int i = 0; i < dims.length; i++) {
            int d = Shapes.dim(dims[i], x.rank());
            if (used[d]) throw new IllegalArgumentException("repeated dimension in permute " + Arrays.toString(dims));
            used[d] = true;
            shape[i] = x.shape[d];
            strides[i] = x.strides[d];
            inverse[d] = i;
        }
        Tensor out = new Tensor(x.data, x.dtype, shape, strides, x.offset);
        return Autograd.record(out, "permute", (g, needs) -> new Tensor[]{permute(g, inverse)}, x);
    }

    // x [.., n, ..] → [.., length, ..] starting at start
    static Tensor narrow(Tensor x, int dim, int start, int length) {
        int d = Shapes.dim(dim, x.rank());
        if (start < 0 || length < 0 || start + length > x.shape[d])
            throw new IndexOutOfBoundsException("narrow(" + dim + ", " + start + ", " + length + ") of " + Shapes.str(x.shape));
        int[] shape = x.shape.clone();
        shape[d] = length;
        Tensor out = new Tensor(x.data, x.dtype, shape, x.strides.clone(), x.offset + start * x.strides[d]);
        int[] inShape = x.shape;
        return Autograd.record(out, "narrow", (g, needs) -> {
            Tensor gx = Tensor.zeros(inShape);
            copyInto(g, gx.narrow(d, start, length));
            return new Tensor[]{gx};
        }, x);
    }

    // x [.., n, ..] → [.., ..] at index
    static Tensor select(Tensor x, int dim, int index) {
        int d = Shapes.dim(dim, x.rank());
        if (index < 0) index += x.shape[d];
        return squeeze(narrow(x, d, index, 1), d);
    }

    // x → shape, dims of size 1 broadcast with stride 0 (−1 keeps a dim); new leading dims allowed
    static Tensor expand(Tensor x, int... newShape) {
        int lead = newShape.length - x.rank();
        if (lead < 0) throw new IllegalArgumentException("expand to fewer dimensions: " + Arrays.toString(newShape));
        int[] shape = new int[newShape.length];
        long[] strides = new long[newShape.length];
        for (int i = 0; i < newShape.length; i++) {
            int src = i - lead;
            int have = src >= 0 ? x.shape[src] : 1;
            int want = newShape[i] == -1 ? have : newShape[i];
            if (have != want && have != 1)
                throw new IllegalArgumentException("cannot expand " + Shapes.str(x.shape) + " to " + Arrays.toString(newShape));
            shape[i] = want;
            strides[i] = src >= 0 && have == want ? x.strides[src] : 0;
        }
        if (Arrays.equals(shape, x.shape)) return x;
        Tensor out = new Tensor(x.data, x.dtype, shape, strides, x.offset);
        int[] inShape = x.shape;
        return Autograd.record(out, "expand", (g, needs) -> new Tensor[]{Reduce.sumToShape(g, inShape)}, x);
    }

    static Tensor unsqueeze(Tensor x, int dim) {
        int d = Shapes.dim(dim, x.rank() + 1);
        int[] shape = new int[x.rank() + 1];
        long[] strides = new long[x.rank() + 1];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (i == d) {
                shape[i] = 1;
                strides[i] = j < x.rank() ? x.strides[j] * x.shape[j] : 1;
            } else {
                shape[i] = x.shape[j];
                strides[i] = x.strides[j++];
            }
        }
        Tensor out = new Tensor(x.data, x.dtype, shape, strides, x.offset);
        return Autograd.record(out, "unsqueeze", (g, needs) -> new Tensor[]{squeeze(g, d)}, x);
    }

    static Tensor squeeze(Tensor x, int dim) {
        int d = Shapes.dim(dim, x.rank());
        if (x.shape[d] != 1) throw new IllegalArgumentException("squeeze of dimension " + dim + " with size " + x.shape[d]);
        int[] shape = new int[x.rank() - 1];
        long[] strides = new long[x.rank() - 1];
        for (int i = 0, j = 0; i < x.rank(); i++) {
            if (i == d) continue;
            shape[j] = x.shape[i];
            strides[j++] = x.strides[i];
        }
        Tensor out = new Tensor(x.data, x.dtype, shape, strides, x.offset);
        return Autograd.record(out, "squeeze", (g, needs) -> new Tensor[]{unsqueeze(g, d)}, x);
    }

    /** A contiguous copy in fresh storage, same dtype; gradient passes through unchanged. */
    static Tensor copy(Tensor x) {
        Tensor out = Tensor.zeros(x.dtype, x.shape);
        copyInto(x, out);
        return Autograd.record(out, "copy", (g, needs) -> new Tensor[]{g}, x);
    }

    /** Dtype conversion (a copy). Between floating types the F32 gradient passes through. */
    static Tensor convert(Tensor x, DType type) {
        if (type == x.dtype) return copy(x);
        Tensor out = Tensor.zeros(type, x.shape);
        copyInto(x, out);
        if (!type.isFloatingPoint()) return out;
        return Autograd.record(out, "to" + type, (g, needs) -> new Tensor[]{g}, x);
    }

    static Tensor contiguousF32(Tensor x) {
        return x.dtype == DType.F32 ? copy(x) : convert(x, DType.F32);
    }

    /** dst[...] = src[...] (src broadcast to dst's shape), converting dtypes. Not recorded. */
    static void copyInto(Tensor src, Tensor dst) {
        Tensor s = Arrays.equals(src.shape, dst.shape) ? src : expandNoGrad(src, dst.shape);
        int rank = dst.rank();
        if (rank == 0) {
            copyRun(s, s.offset, 0, dst, dst.offset, 0, 1);
            return;
        }
        int inner = dst.shape[rank - 1];
        long sStep = s.strides[rank - 1], dStep = dst.strides[rank - 1];
        long rows = dst.numel() / Math.max(1, inner);
        if (inner == 0) return;
        int[] idx = new int[rank];
        for (long r = 0; r < rows; r++) {
            long sp = s.offset, dp = dst.offset;
            for (int i = 0; i < rank - 1; i++) {
                sp += idx[i] * s.strides[i];
                dp += idx[i] * dst.strides[i];
            }
            copyRun(s, sp, sStep, dst, dp, dStep, inner);
            for (int i = rank - 2; i >= 0; i--) {
                if (++idx[i] < dst.shape[i]) break;
                idx[i] = 0;
            }
        }
    }

    private static void copyRun(Tensor s, long sp, long sStep, Tensor d, long dp, long dStep, int n) {
        if (s.dtype == d.dtype && sStep == 1 && dStep == 1) {
            long b = s.dtype.byteSize();
            MemorySegment.copy(s.data, sp * b, d.data, dp * b, n * b);
        } else if (dStep == 1 && d.floatArray() instanceof float[] arr) {
            int base = Math.toIntExact(d.data.address() / 4 + dp);
            if (s.floatArray() instanceof float[] src) {
                int from = Math.toIntExact(s.data.address() / 4 + sp), step = Math.toIntExact(sStep);
                for (int i = 0; i < n; i++) arr[base + i] = src[from + i * step];
            } else if (s.dtype == DType.BF16) {
                for (int i = 0; i < n; i++)
                    arr[base + i] = Precision.bf16ToFloat(s.data.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, sp + i * sStep));
            } else {
                for (int i = 0; i < n; i++) arr[base + i] = s.readFloat(sp + i * sStep);
            }
        } else if (!s.dtype.isFloatingPoint() && !d.dtype.isFloatingPoint()) {
            for (int i = 0; i < n; i++) d.writeLong(dp + i * dStep, s.readLong(sp + i * sStep));
        } else {
            for (int i = 0; i < n; i++) d.writeFloat(dp + i * dStep, s.readFloat(sp + i * sStep));
        }
    }

    /**
     * A zero-filled F32 tensor of x's shape with its last dimension contiguous and the others laid
     * out in x's order (by decreasing stride), not necessarily row-major: the gradient of a
     * transposed view produced this way is contiguous again once the transpose's backward has
     * turned it back.
     */
    static Tensor zerosLike(Tensor x) {
        int r = x.rank();
        Integer[] order = new Integer[r];
        for (int i = 0; i < r; i++) order[i] = i;
        // stable: equal strides (size-1 dimensions) keep their order
        if (r > 1) Arrays.sort(order, 0, r - 1, (i, j) -> Long.compare(x.strides[j], x.strides[i]));
        long[] strides = new long[r];
        long step = 1;
        for (int i = r - 1; i >= 0; i--) {
            strides[order[i]] = step;
            step *= x.shape[order[i]];
        }
        Tensor flat = Tensor.zeros(Math.toIntExact(x.numel()));
        return new Tensor(flat.data, DType.F32, x.shape.clone(), strides, 0);
    }

    static Tensor expandNoGrad(Tensor x, int[] shape) {
        try (var ignored = Autograd.noGrad()) {
            return expand(x, shape).detach();
        }
    }

    /** Visits the storage index of every element in row-major order. */
    static void forEachIndex(Tensor t, LongConsumer visit) {
        int rank = t.rank();
        long n = t.numel();
        if (n == 0) return;
        if (rank == 0 || t.isContiguous()) {
            for (long i = 0; i < n; i++) visit.accept(t.offset + i);
            return;
        }
        int[] idx = new int[rank];
        long p = t.offset;
        for (long i = 0; i < n; i++) {
            visit.accept(p);
            for (int d = rank - 1; d >= 0; d--) {
                if (++idx[d] < t.shape[d]) {
                    p += t.strides[d];
                    break;
                }
                p -= (long) (idx[d] - 1) * t.strides[d];
                idx[d] = 0;
            }
        }
    }
}
