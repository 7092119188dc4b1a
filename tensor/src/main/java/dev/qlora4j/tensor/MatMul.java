package dev.qlora4j.tensor;

import dev.qlora4j.tensor.cpu.Gemm;

import java.util.Arrays;

/**
 * Matrix products: batched {@link #matmul} with PyTorch semantics (broadcast batch dimensions,
 * transposed views passed to the GEMM as transpose flags instead of copies) and {@link #linear},
 * the {@code x·Wᵀ + b} of every projection, which also takes frozen BF16 or memory-mapped weights.
 */
public final class MatMul {
    private MatMul() {}

    // a [.., m, k] · b [.., k, n] → [.., m, n]   (1-D operands as in torch.matmul)
    static Tensor matmul(Tensor a, Tensor b) {
        if (a.rank() == 0 || b.rank() == 0) throw new IllegalArgumentException("matmul of a scalar");
        if (a.rank() == 1 && b.rank() == 1) return matmul(a.unsqueeze(0), b.unsqueeze(1)).reshape();
        if (a.rank() == 1) return matmul(a.unsqueeze(0), b).squeeze(-2);
        if (b.rank() == 1) return matmul(a, b.unsqueeze(-1)).squeeze(-1);
        if (a.size(-1) != b.size(-2))
            throw new IllegalArgumentException("matmul shapes " + Shapes.str(a.shape) + " · " + Shapes.str(b.shape));
        Tensor out = product(a, b);
        return Autograd.record(out, "matmul", (g, needs) -> new Tensor[]{
                needs[0] ? Reduce.sumToShape(product(g, b.transpose(-1, -2)), a.shape) : null,
                needs[1] ? Reduce.sumToShape(product(a.transpose(-1, -2), g), b.shape) : null}, a, b);
    }

    /** The product without recording. */
    private static Tensor product(Tensor a, Tensor b) {
        int m = a.size(-2), k = a.size(-1), n = b.size(-1);
        int[] aBatch = Arrays.copyOf(a.shape, a.rank() - 2), bBatch = Arrays.copyOf(b.shape, b.rank() - 2);
        int[] batchShape = Shapes.broadcast(aBatch, bBatch);
        int batch = Math.toIntExact(Shapes.numel(batchShape));
        int[] outShape = Arrays.copyOf(batchShape, batchShape.length + 2);
        outShape[batchShape.length] = m;
        outShape[batchShape.length + 1] = n;
        Tensor out = Tensor.zeros(outShape);
        // k == 0: every entry is an empty sum (and reshape(-1, 0) below could not infer the rows)
        if (batch == 0 || m == 0 || n == 0 || k == 0) return out;
        Operand A, B;
        try (var ignored = Autograd.noGrad()) {
            Tensor af = Arith.floatStorage(a), bf = Arith.floatStorage(b);
            if (b.rank() == 2 && af.isContiguous()) {
                // fold a's batch into its rows: one large GEMM instead of many small ones
                A = Operand.of(af.reshape(-1, k), batch * m, k);
                B = Operand.of(bf, k, n);
                Gemm.sgemm(A.trans, B.trans, batch * m, n, k, 1f, A.array, A.offset, A.ld, B.array, B.offset, B.ld,
                        0f, out.array(), 0, n);
                return out;
            }
            A = Operand.of(expandBatch(af, batchShape), m, k);
            B = Operand.of(expandBatch(bf, batchShape), k, n);
        }
        Gemm.sgemmBatched(batch, A.trans, B.trans, m, n, k, 1f, A.array, A.offset, A.ld, A.batchStride,
                B.array, B.offset, B.ld, B.batchStride, 0f, out.array(), 0, n, (long) m * n);
        return out;
    }

    private static Tensor expandBatch(Tensor t, int[] batchShape) {
        int[] shape = Arrays.copyOf(batchShape, batchShape.length + 2);
        shape[batchShape.length] = t.size(-2);
        shape[batchShape.length + 1] = t.size(-1);
        return Views.expandNoGrad(t, shape);
    }

    /** A float[] matrix (or a batch of them at a fixed stride) as the GEMM wants it. */
    private record Operand(float[] array, int offset, boolean trans, int ld, long batchStride) {
        static Operand of(Tensor t, int rows, int cols) {
            int r = t.rank();
            long rowStride = t.strides[r - 2], colStride = t.strides[r - 1];
            Long batchStride = batchStride(t);
            boolean plain = (colStride == 1 || cols == 1) && (rows == 1 || rowStride >= cols);
            boolean transposed = (rowStride == 1 || rows == 1) && (cols == 1 || colStride >= rows);
            if (batchStride != null && (plain || transposed) && t.floatArray() instanceof float[] arr) {
                int off = Arith.base(t);
                if (plain) return new Operand(arr, off, false, (int) (rows == 1 ? Math.max(cols, 1) : rowStride), batchStride);
                return new Operand(arr, off, true, (int) (cols == 1 ? Math.max(rows, 1) : colStride), batchStride);
            }
            Tensor c = Views.copy(t);
            return new Operand(c.array(), c.arrayOffset(), false, cols, (long) rows * cols);
        }

        /** One stride that steps through all batch dimensions in order, or null when there is none. */
        private static Long batchStride(Tensor t) {
            int nb = t.rank() - 2;
            Long stride = null;
            long expected = -1;
            for (int i = nb - 1; i >= 0; i--) {
                if (t.shape[i] == 1) continue;
                if (stride == null) {
                    stride = t.strides[i];
                    expected = t.strides[i] * t.shape[i];
                } else {
                    if (t.strides[i] != expected) return null;
                    expected = t.strides[i] * t.shape[i];
                }
            }
            return stride == null ? 0L : stride;
        }
    }

    /**
     * What a linear layer's forward starts from: x as a contiguous float array {@code [rows, in]}
     * and the output {@code [.., out]} holding the bias in every row (zeros without one).
     */
    record LinearOperands(Tensor x2, int rows, Tensor out) {
        static LinearOperands of(Tensor x, Tensor bias, int outF) {
            int[] outShape = x.shape.clone();
            outShape[outShape.length - 1] = outF;
            Tensor x2;
            try (var ignored = Autograd.noGrad()) {
                x2 = Arith.floatStorage(x).contiguous();
            }
            // the leading dims, not numel / in: with in == 0 there are still rows (each gets the bias)
            int rows = Math.toIntExact(Shapes.numel(Arrays.copyOf(x.shape, x.rank() - 1)));
            Tensor out = Tensor.zeros(outShape);
            if (bias != null) {
                float[] bv = Arith.floatStorage(bias).contiguous().toFloatArray();
                float[] oa = out.array();
                for (int r = 0; r < rows; r++) System.arraycopy(bv, 0, oa, r * outF, outF);
            }
            return new LinearOperands(x2, rows, out);
        }
    }

    /**
     * x [.., in] · W [out, in]ᵀ + bias [out] → [.., out]. W may be F32 or BF16, array-backed or a
     * memory-mapped segment; only an F32 array-backed W can receive a gradient.
     */
    public static Tensor linear(Tensor x, Tensor w, Tensor bias) {
        if (w.rank() != 2) throw new IllegalArgumentException("linear weight must be 2-D: " + Shapes.str(w.shape));
        int in = w.shape[1], outF = w.shape[0];
        if (x.size(-1) != in)
            throw new IllegalArgumentException("linear input " + Shapes.str(x.shape) + " vs weight " + Shapes.str(w.shape));
        if (bias != null && (bias.rank() != 1 || bias.shape[0] != outF))
            throw new IllegalArgumentException("linear bias " + Shapes.str(bias.shape) + " for weight " + Shapes.str(w.shape));
        if (w.requiresGrad && w.dtype != DType.F32)
            throw new IllegalArgumentException("a trainable linear weight must be F32, not " + w.dtype);
        LinearOperands op = LinearOperands.of(x, bias, outF);
        Tensor x2 = op.x2(), out = op.out();
        int rows = op.rows();
        timesWeight(x2.array(), x2.arrayOffset(), rows, in, w, true, bias != null ? 1f : 0f, out.array(), outF);
        return Autograd.record(out, "linear", (g, needs) -> {
            Tensor gd = Arith.floatStorage(g).contiguous();
            float[] ga = gd.array();
            int go = gd.arrayOffset();
            Tensor gx = null, gw = null, gb = null;
            if (needs[0]) {
                // dx [rows, in] = g [rows, out] · W [out, in]
                gx = Tensor.zeros(x.shape);
                timesWeight(ga, go, rows, outF, w, false, 0f, gx.array(), in);
            }
            if (needs[1]) {
                // dW [out, in] = gᵀ [out, rows] · x [rows, in]
                gw = Tensor.zeros(outF, in);
                Gemm.sgemm(true, false, outF, in, rows, 1f, ga, go, outF, x2.array(), x2.arrayOffset(), in,
                        0f, gw.array(), 0, in);
            }
            if (needs[2]) gb = Reduce.sum(gd.reshape(rows, outF), new int[]{0}, false);
            return new Tensor[]{Autograd.owned(gx), Autograd.owned(gw), gb};
        }, x, w, bias);
    }

    /** c [rows, ldc] = a [rows, k] · (transW ? Wᵀ : W) + beta·c for a weight in any supported storage. */
    private static void timesWeight(float[] a, int aOff, int rows, int k, Tensor w, boolean transW, float beta,
                                    float[] c, int ldc) {
        int n = transW ? w.shape[0] : w.shape[1];
        boolean rowMajor = w.strides[1] == 1 && w.strides[0] == w.shape[1];
        if (w.floatArray() instanceof float[] arr && rowMajor) {
            Gemm.sgemm(false, transW, rows, n, k, 1f, a, aOff, k, arr, Arith.base(w), w.shape[1], beta, c, 0, ldc);
        } else if ((w.dtype == DType.BF16 || w.dtype == DType.F32) && rowMajor) {
            Gemm.gemm(false, transW, rows, n, k, 1f, a, aOff, k, w.data, w.offset, w.shape[1], w.dtype == DType.BF16,
                    beta, c, 0, ldc);
        } else {
            Tensor wd;
            try (var ignored = Autograd.noGrad()) {
                wd = Views.contiguousF32(w);
            }
            Gemm.sgemm(false, transW, rows, n, k, 1f, a, aOff, k, wd.array(), 0, w.shape[1], beta, c, 0, ldc);
        }
    }
}
