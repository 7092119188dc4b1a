package dev.qlora4j.tensor.quant;

import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.tensor.DType;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.tensor.cpu.Parallel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

/**
 * NF4 quantization and dequantization with bitsandbytes' results to the bit: {@code quantize_4bit}
 * (with {@code compress_statistics} = double quantization) and {@code dequantize_4bit} of its
 * default (pure PyTorch) backend, which is what runs on a CPU.
 *
 * <p>The rules that decide bits (fixtures/nf4/README.md): elements in row-major blocks of
 * {@code blocksize} (crossing rows; the last block may be partial); absmax = max |x| in float32;
 * full blocks scale by {@code x · (1/max(absmax, 1e-38))}, the trailing partial block by a true
 * division {@code x / max(absmax, 1e-38)}, both clamped to [-1, 1]; the code is the number of
 * float32 midpoints strictly below the scaled value (ties to the lower code); the partial block's
 * stored absmax is the clamped one. Double quantization stores the absmax values minus their mean
 * (torch's float32 mean) as 8-bit dynamic-map codes in blocks of 256, by the same rules.
 */
public final class Nf4Quantizer {
    private Nf4Quantizer() {}

    /** The floor bitsandbytes puts under an absmax before dividing by it (a float32 subnormal). */
    static final float MIN_ABSMAX = 1e-38f;
    /** Blocks per parallel chunk: enough work to be worth handing to another thread. */
    private static final int GRAIN_BLOCKS = 1024;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);

    /**
     * Quantizes {@code weight} [rows, cols] (F32, BF16 or F16). {@code name} names the tensor in
     * errors. The result's dtype is the weight's, as bitsandbytes records it.
     */
    public static Nf4Weight quantize(Tensor weight, int blocksize, boolean doubleQuant, String name) {
        if (weight.rank() != 2) throw BadInputException.at(name, "a 4-bit weight must be 2-D, got shape " + java.util.Arrays.toString(weight.shape()));
        DType dtype = weight.dtype();
        if (dtype != DType.F32 && dtype != DType.BF16 && dtype != DType.F16)
            throw BadInputException.at(name, "4-bit quantization needs an F32, BF16 or F16 weight, got " + dtype);
        if (!QuantState.BLOCKSIZES.contains(blocksize))
            throw BadInputException.at(name, "4-bit blocksize " + blocksize + " is not one of " + QuantState.BLOCKSIZES);
        Tensor w = weight.contiguous();
        int rows = w.size(0), cols = w.size(1);
        long n = w.numel();
        if (n > Integer.MAX_VALUE - 1) throw BadInputException.at(name, "a 4-bit weight of " + n + " values is too large");
        int blocks = Nf4Weight.blocks(n, blocksize);
        byte[] packed = new byte[(int) ((n + 1) / 2)];
        float[] absmax = new float[blocks];
        boolean[] nonFinite = new boolean[1];
        Parallel.range(blocks, Math.max(1, GRAIN_BLOCKS * 64 / blocksize), (from, to) -> {
            float[] x = new float[blocksize], codes = new float[blocksize];
            for (int b = from; b < to; b++) {
                int count = (int) Math.min(blocksize, n - (long) b * blocksize);
                BlockLoader.load(w, (long) b * blocksize, count, x);
                if (!quantizeBlock(x, count, blocksize, b, absmax, codes, packed)) nonFinite[0] = true;
            }
        });
        if (nonFinite[0]) throw BadInputException.at(name, "weight has a NaN or infinite value; 4-bit quantization needs finite weights");
        BlockScales scales = doubleQuant ? nest(absmax) : new BlockScales.Plain(MemorySegment.ofArray(absmax), blocks);
        return new Nf4Weight(rows, cols, blocksize, dtype, MemorySegment.ofArray(packed), scales);
    }

    /**
     * Block b (its {@code count} values in x): absmax into absmax[b], codes into packed (blocks
     * start on even elements: block sizes are even). False when the block is not finite.
     */
    private static boolean quantizeBlock(float[] x, int count, int blocksize, int b, float[] absmax, float[] codes, byte[] packed) {
        int i = 0;
        FloatVector vmax = FloatVector.zero(S);
        for (; i + L <= count; i += L) vmax = vmax.max(FloatVector.fromArray(S, x, i).abs());
        float am = vmax.reduceLanes(VectorOperators.MAX);
        for (; i < count; i++) am = Math.max(am, Math.abs(x[i]));
        if (!Float.isFinite(am)) return false;
        float floor = Math.max(am, MIN_ABSMAX);
        if (count == blocksize) {
            // a full block: x·(1/absmax), clamped, then the number of midpoints below (15 compares per lane)
            FloatVector r = FloatVector.broadcast(S, 1f / floor);
            for (i = 0; i < count; i += L) {
                FloatVector s = FloatVector.fromArray(S, x, i).mul(r).max(-1f).min(1f);
                FloatVector c = FloatVector.zero(S);
                for (float mid : Nf4.MID) c = c.add(ONE, s.compare(VectorOperators.GT, mid));
                c.intoArray(codes, i);
            }
        } else {
            // the trailing partial block divides
            for (i = 0; i < count; i++) codes[i] = Nf4.code(Math.min(Math.max(x[i] / floor, -1f), 1f));
        }
        int start = b * blocksize;
        for (i = 0; i < count; i += 2) {
            // an odd element count is padded with 0.0, which is code 7
            int lo = i + 1 < count ? (int) codes[i + 1] : 7;
            packed[(start + i) >> 1] = (byte) ((int) codes[i] << 4 | lo);
        }
        absmax[b] = count == blocksize ? am : floor;
        return true;
    }

    /** bitsandbytes' two scalings: reciprocal-multiply for full blocks, true division for the partial one. */
    private static float scale(float v, float reciprocal, float absmax, boolean partial) {
        float s = partial ? v / absmax : v * reciprocal;
        return Math.min(Math.max(s, -1f), 1f);
    }

    /** Double quantization of the absmax values: 8-bit dynamic codes of absmax − mean, blocks of 256. */
    static BlockScales.Nested nest(float[] absmax) {
        int count = absmax.length, bs = QuantState.NESTED_BLOCKSIZE;
        float offset = TorchMean.mean(absmax);
        float[] centered = new float[count];
        for (int i = 0; i < count; i++) centered[i] = absmax[i] - offset;
        int nestedBlocks = (count + bs - 1) / bs;
        float[] nested = new float[nestedBlocks];
        byte[] codes = new byte[count];
        for (int b = 0; b < nestedBlocks; b++) {
            int start = b * bs, end = Math.min(count, start + bs);
            float am = 0f;
            for (int i = start; i < end; i++) am = Math.max(am, Math.abs(centered[i]));
            float floor = Math.max(am, MIN_ABSMAX);
            boolean partial = end - start < bs;
            float r = 1f / floor;
            for (int i = start; i < end; i++) codes[i] = (byte) DynamicMap.code(scale(centered[i], r, floor, partial));
            nested[b] = partial ? floor : am;
        }
        return new BlockScales.Nested(MemorySegment.ofArray(codes), count, DynamicMap.values(), nested, bs, offset);
    }

    /** The weight as {@code dequantize_4bit} returns it: a [rows, cols] tensor in the weight's dtype. */
    public static Tensor dequantize(Nf4Weight w) {
        float[] f = dequantizeF32(w);
        Tensor t = Tensor.of(f, w.rows(), w.cols());
        return w.dtype() == DType.F32 ? t : t.to(w.dtype());
    }

    /** The dequantized values widened to float32 (exactly: they are already rounded to the dtype). */
    public static float[] dequantizeF32(Nf4Weight w) {
        int n = Math.toIntExact(w.numel()), bs = w.blocksize();
        float[] out = new float[n];
        Parallel.range(w.blocks(), Math.max(1, GRAIN_BLOCKS * 64 / bs), (from, to) -> {
            float[] table = new float[16];
            for (int b = from; b < to; b++) {
                blockTable(w, b, table);
                int end = Math.min(n, (b + 1) * bs);
                for (int i = b * bs; i < end; i++) out[i] = table[w.code(i)];
            }
        });
        return out;
    }

    /** table[c] = the dequantized value of code c in block b: NF4[c]·absmax in float32, rounded to the dtype. */
    public static void blockTable(Nf4Weight w, int block, float[] table) {
        float absmax = w.scales().absmax(block);
        for (int c = 0; c < 16; c++) table[c] = w.roundToDtype(Nf4.CODE[c] * absmax);
    }
}
