package dev.qlora4j.accel;

import dev.qlora4j.tensor.DType;
import dev.qlora4j.tensor.quant.BlockScales;
import dev.qlora4j.tensor.quant.Nf4;
import dev.qlora4j.tensor.quant.Nf4Weight;

/**
 * The host side of each kernel: grid and block sizes and the argument order. Storage is F32 or
 * BF16 ({@code _f32} / {@code _bf16} kernels); arithmetic inside is fp32.
 */
public final class GpuKernels {
    private GpuKernels() {}

    static final int BLOCK = 256;

    public enum Gate { SILU, GELU_TANH }

    static String suffix(DType t) {
        return switch (t) {
            case F32 -> "_f32";
            case BF16 -> "_bf16";
            default -> throw new IllegalArgumentException("GPU kernels take F32 or BF16 storage, not " + t);
        };
    }

    /** Threads per block for a one-block-per-row kernel: a multiple of 32, up to 256 (rows up to 8 values per thread before that). */
    static int rowBlock(int cols) {
        return Math.min(BLOCK, Math.max(32, (cols + 31) / 32 * 32));
    }

    // src [n] F32 → dst [n] BF16, or the other way
    public static void cast(CudaDevice d, DeviceBuffer src, DType from, DeviceBuffer dst, DType to, long n) {
        String k = from == DType.F32 && to == DType.BF16 ? "cast_f32_bf16" : from == DType.BF16 && to == DType.F32 ? "cast_bf16_f32" : null;
        if (k == null) throw new IllegalArgumentException("cast " + from + " → " + to);
        d.launch(k, d.gridFor(n, BLOCK), BLOCK, src, dst, n);
    }

    // rows [n] int32, table [*, cols] → out [n, cols] = scale·table[rows] (bf16)
    public static void gatherRows(CudaDevice d, DeviceBuffer table, DeviceBuffer rows, DeviceBuffer out, int n, int cols, float scale) {
        long count = (long) n * cols;
        d.launch("gather_rows_bf16", d.gridFor(count, BLOCK), BLOCK, table, rows, out, cols, scale, count);
    }

    // src [n, cols] → dst[rows[r]] (bf16; rows distinct)
    public static void scatterRows(CudaDevice d, DeviceBuffer src, DeviceBuffer rows, DeviceBuffer dst, int n, int cols) {
        long count = (long) n * cols;
        d.launch("scatter_rows_bf16", d.gridFor(count, BLOCK), BLOCK, src, rows, dst, cols, count);
    }

    // acc [n] += x [n] (bf16)
    public static void add(CudaDevice d, DeviceBuffer acc, DeviceBuffer x, long n) {
        d.launch("add_bf16", d.gridFor(n, BLOCK), BLOCK, acc, x, n);
    }

    // out [n] = a + b (bf16)
    public static void addInto(CudaDevice d, DeviceBuffer out, DeviceBuffer a, DeviceBuffer b, long n) {
        d.launch("add_out_bf16", d.gridFor(n, BLOCK), BLOCK, out, a, b, n);
    }

    // y [rows, cols] += bias [cols] F32 (y bf16)
    public static void addBias(CudaDevice d, DeviceBuffer y, DeviceBuffer bias, int rows, int cols) {
        long n = (long) rows * cols;
        d.launch("add_bias_bf16", d.gridFor(n, BLOCK), BLOCK, y, bias, cols, n);
    }

    // x [n] → y [n]: each element kept (scaled by 1/(1 − p)) or zeroed by a hash of (seed, index) (bf16)
    public static void dropout(CudaDevice d, DeviceBuffer x, DeviceBuffer y, float p, long seed, long n) {
        d.launch("dropout_bf16", d.gridFor(n, BLOCK), BLOCK, x, y, p, seed, n);
    }

    // gate, up [n] → act(gate)·up [n]
    public static void gatedForward(CudaDevice d, Gate kind, DType t, DeviceBuffer gate, DeviceBuffer up, DeviceBuffer out, long n) {
        d.launch("gated_fwd" + suffix(t), d.gridFor(n, BLOCK), BLOCK, kind.ordinal(), gate, up, out, n);
    }

    // gate, up, g [n] → dgate, dup [n]
    public static void gatedBackward(CudaDevice d, Gate kind, DType t, DeviceBuffer gate, DeviceBuffer up, DeviceBuffer g,
                                     DeviceBuffer dGate, DeviceBuffer dUp, long n) {
        d.launch("gated_bwd" + suffix(t), d.gridFor(n, BLOCK), BLOCK, kind.ordinal(), gate, up, g, dGate, dUp, n);
    }

    // x [rows, cols], w [cols] F32 → y [rows, cols], rstd [rows] F32
    public static void rmsNormForward(CudaDevice d, DType t, DeviceBuffer x, DeviceBuffer w, DeviceBuffer y, DeviceBuffer rstd,
                                      int rows, int cols, float eps, boolean onePlusWeight) {
        d.launch("rmsnorm_fwd" + suffix(t), rows, rowBlock(cols), x, w, y, rstd, cols, eps, onePlusWeight);
    }

    // x, g [rows, cols], w [cols], rstd [rows] → dx [rows, cols] (written, or added to it)
    public static void rmsNormBackward(CudaDevice d, DType t, DeviceBuffer x, DeviceBuffer w, DeviceBuffer rstd, DeviceBuffer g,
                                       DeviceBuffer dx, int rows, int cols, boolean onePlusWeight, boolean accumulate) {
        d.launch("rmsnorm_bwd" + suffix(t), rows, rowBlock(cols), x, w, rstd, g, dx, cols, onePlusWeight, accumulate);
    }

    /**
     * Rotates x [tokens, heads, 2·half] in place by each token's position (inverse: back, the
     * backward). positions [tokens] int32; cos, sin [maxPositions, half] F32.
     */
    public static void rope(CudaDevice d, DType t, DeviceBuffer x, DeviceBuffer positions, DeviceBuffer cos, DeviceBuffer sin,
                            int tokens, int heads, int half, boolean inverse) {
        long n = (long) tokens * heads * half;
        d.launch("rope" + suffix(t), d.gridFor(n, BLOCK), BLOCK, x, positions, cos, sin, tokens, heads, half, inverse ? -1f : 1f);
    }

    /**
     * Cross-entropy of logits [rows, vocab] against targets [rows] (−100: ignored): loss [rows] F32
     * receives each row's loss, the logits are replaced by scale·dloss/dlogits. softcap > 0 caps
     * the logits first (cap·tanh(l/cap)).
     */
    public static void crossEntropy(CudaDevice d, DType t, DeviceBuffer logits, DeviceBuffer targets, DeviceBuffer loss, int rows,
                                    int vocab, float softcap, float scale) {
        d.launch("cross_entropy" + suffix(t), rows, BLOCK, logits, targets, loss, vocab, softcap, scale);
    }

    /** An {@link Nf4Weight} in device memory: packed codes, the NF4 table, and its scales as stored. */
    public record Nf4Device(int rows, int cols, int blocksize, DeviceBuffer packed, DeviceBuffer code, DeviceBuffer absmaxCodes,
                            DeviceBuffer map, DeviceBuffer scales, int nestedBlock, float offset) {
        public long numel() {
            return (long) rows * cols;
        }

        public void free(CudaDevice d) {
            for (DeviceBuffer b : new DeviceBuffer[]{packed, code, absmaxCodes, map, scales})
                if (b != null) d.free(b);
        }
    }

    public static Nf4Device upload(CudaDevice d, Nf4Weight w) {
        DeviceBuffer packed = d.allocate(w.packed().byteSize());
        d.upload(w.packed(), packed, 0);
        DeviceBuffer code = d.upload(Nf4.codebook());
        return switch (w.scales()) {
            case BlockScales.Plain p -> {
                DeviceBuffer s = d.allocate(4L * p.count());
                d.upload(p.values().asSlice(0, 4L * p.count()), s, 0);
                yield new Nf4Device(w.rows(), w.cols(), w.blocksize(), packed, code, null, null, s, 1, 0f);
            }
            case BlockScales.Nested n -> {
                DeviceBuffer codes = d.allocate(n.count());
                d.upload(n.codes().asSlice(0, n.count()), codes, 0);
                yield new Nf4Device(w.rows(), w.cols(), w.blocksize(), packed, code, codes, d.upload(n.map()), d.upload(n.nested()),
                        n.blocksize(), n.offset());
            }
        };
    }

    // w → out [rows, cols] BF16, as dequantize_4bit returns a bf16 weight
    public static void nf4Dequantize(CudaDevice d, Nf4Device w, DeviceBuffer out) {
        long n = w.numel();
        long pairs = (n + 1) / 2;
        d.launch("nf4_dequant_bf16", d.gridFor(pairs, BLOCK), BLOCK, w.packed(), w.code(),
                w.absmaxCodes() == null ? 0L : w.absmaxCodes().address(), w.map() == null ? 0L : w.map().address(), w.scales(),
                w.nestedBlock(), w.offset(), w.blocksize(), out, n);
    }
}
