package dev.qlora4j.tensor;

import dev.qlora4j.tensor.cpu.Parallel;
import dev.qlora4j.tensor.cpu.VectorMath;

/**
 * RMSNorm as Llama/Qwen2 ({@code x/rms(x)·w}) and Gemma ({@code x/rms(x)·(1+w)}) compute it, in fp32:
 * {@code rms(x) = sqrt(mean(x²) + eps)} over the last dimension.
 */
public final class RmsNorm {
    private RmsNorm() {}

    // x [.., C], w [C] → [.., C]
    public static Tensor apply(Tensor x, Tensor w, float eps, boolean onePlusWeight) {
        int c = x.size(-1);
        if (w.rank() != 1 || w.shape[0] != c)
            throw new IllegalArgumentException("RMSNorm weight " + Shapes.str(w.shape) + " for input " + Shapes.str(x.shape));
        Tensor xd = Arith.floatStorage(x).contiguous();
        float[] wv = Arith.floatStorage(w).contiguous().toFloatArray();
        if (onePlusWeight) for (int i = 0; i < c; i++) wv[i] += 1f;
        int rows = c == 0 ? 0 : Math.toIntExact(x.numel() / c);
        Tensor y = Tensor.zeros(x.shape);
        float[] xa = xd.array(), ya = y.array(), rstd = new float[rows];
        int xo = xd.arrayOffset();
        Parallel.range(rows, Math.max(1, 4096 / Math.max(1, c)), (from, to) -> {
            for (int r = from; r < to; r++) {
                float ms = VectorMath.sumOfSquares(xa, xo + r * c, c) / c;
                float rs = (float) (1 / Math.sqrt(ms + eps));
                rstd[r] = rs;
                VectorMath.mulScaled(xa, xo + r * c, wv, 0, rs, ya, r * c, c);
            }
        });
        return Autograd.record(y, onePlusWeight ? "rms_norm_1p" : "rms_norm", (g, needs) -> {
            // x̂ = x·r;  dx = r·(g⊙w − x̂·mean(g⊙w⊙x̂));  dw = Σ_rows g⊙x̂
            Tensor gd = Arith.floatStorage(g).contiguous();
            float[] ga = gd.array();
            int go = gd.arrayOffset();
            Tensor dx = needs[0] ? Tensor.zeros(x.shape) : null;
            int parts = Math.max(1, Math.min(Parallel.threads(), rows));
            float[][] dwParts = needs[1] ? new float[parts][c] : null;
            Parallel.parts(parts, (p0, p1) -> {
                float[] gw = new float[c];
                for (int part = p0; part < p1; part++) {
                    for (int r = (int) ((long) rows * part / parts); r < (long) rows * (part + 1) / parts; r++) {
                        int xr = xo + r * c, gr = go + r * c;
                        float rs = rstd[r];
                        VectorMath.binary(VectorMath.BinOp.MUL, ga, gr, 1, wv, 0, 1, gw, 0, c);
                        if (dx != null) {
                            // dx = r·gw − r·proj·x, proj = r²·(gw·x)/C  (x̂ = x·r folded in)
                            float proj = VectorMath.dot(gw, 0, xa, xr, c) * rs * rs / c;
                            VectorMath.axpby(rs, gw, 0, -rs * proj, xa, xr, dx.array(), r * c, c);
                        }
                        if (dwParts != null) {
                            VectorMath.accumulateProduct(ga, gr, xa, xr, rs, dwParts[part], 0, c);
                        }
                    }
                }
            });
            Tensor dw = null;
            if (dwParts != null) {
                float[] sum = dwParts[0];
                for (int p = 1; p < parts; p++) VectorMath.axpy(1f, dwParts[p], 0, sum, 0, c);
                dw = Autograd.owned(Tensor.of(sum, c));
            }
            return new Tensor[]{dx, dw};
        }, x, w);
    }
}
