package dev.qlora4j.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;

/**
 * An n-dimensional array over a {@link MemorySegment}: shape, strides and offset (in elements)
 * describe which elements of the segment it sees, so views (reshape, transpose, slice, expand)
 * share storage with their source. Tensors we allocate are backed by Java arrays (the garbage
 * collector frees them as soon as nothing refers to them); tensors read from files may view a
 * memory-mapped segment.
 *
 * <p>Autograd: a tensor made by an op from inputs that require grad records a {@link Node};
 * {@link #backward()} walks those nodes in reverse and accumulates into {@link #grad()} of leaves.
 * The op methods here are thin entry points; each op's forward and backward live together in one
 * class ({@link Arith}, {@link Reduce}, {@link MatMul}, ...).
 */
public final class Tensor {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED;

    final MemorySegment data;
    final DType dtype;
    final int[] shape;
    final long[] strides;
    final long offset;

    boolean requiresGrad;
    Tensor grad;
    Node gradFn;
    /**
     * Set on a gradient that a backward function allocated for one input and keeps no reference to:
     * a leaf may adopt it as its {@link #grad} instead of copying it (see {@link Autograd#owned}).
     */
    boolean ownedGradient;

    Tensor(MemorySegment data, DType dtype, int[] shape, long[] strides, long offset) {
        this.data = data;
        this.dtype = dtype;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
    }

    // ---------------------------------------------------------------- creation

    /** Wraps a segment holding a contiguous row-major array of {@code dtype} (no copy). */
    public static Tensor wrap(MemorySegment segment, DType dtype, int... shape) {
        long need = Shapes.numel(shape) * dtype.byteSize();
        if (segment.byteSize() < need)
            throw new IllegalArgumentException("segment of " + segment.byteSize() + " bytes is too small for "
                    + dtype + Shapes.str(shape) + " (" + need + " bytes)");
        return new Tensor(segment, dtype, shape.clone(), Shapes.contiguousStrides(shape), 0);
    }

    /** Wraps a float array as an F32 tensor (no copy). */
    public static Tensor of(float[] values, int... shape) {
        if (Shapes.numel(shape) != values.length)
            throw new IllegalArgumentException(values.length + " values do not fill shape " + Shapes.str(shape));
        return wrap(MemorySegment.ofArray(values), DType.F32, shape);
    }

    /** A 1-D F32 tensor of the given values. */
    public static Tensor vector(float... values) {
        return of(values, values.length);
    }

    /** Wraps an int array as an I32 tensor (no copy). */
    public static Tensor ofInts(int[] values, int... shape) {
        if (Shapes.numel(shape) != values.length)
            throw new IllegalArgumentException(values.length + " values do not fill shape " + Shapes.str(shape));
        return wrap(MemorySegment.ofArray(values), DType.I32, shape);
    }

    public static Tensor scalar(float value) {
        return of(new float[]{value});
    }

    public static Tensor zeros(int... shape) {
        return zeros(DType.F32, shape);
    }

    /** A zero-filled, array-backed tensor. */
    public static Tensor zeros(DType dtype, int... shape) {
        long n = Shapes.numel(shape);
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("tensor too large: " + Shapes.str(shape));
        int len = (int) n;
        MemorySegment seg = switch (dtype) {
            case F32 -> MemorySegment.ofArray(new float[len]);
            case F64 -> MemorySegment.ofArray(new double[len]);
            case BF16, F16 -> MemorySegment.ofArray(new short[len]);
            case I32 -> MemorySegment.ofArray(new int[len]);
            case I64 -> MemorySegment.ofArray(new long[len]);
            case I8, U8, BOOL -> MemorySegment.ofArray(new byte[len]);
        };
        return new Tensor(seg, dtype, shape.clone(), Shapes.contiguousStrides(shape), 0);
    }

    public static Tensor full(float value, int... shape) {
        float[] a = new float[Math.toIntExact(Shapes.numel(shape))];
        Arrays.fill(a, value);
        return of(a, shape);
    }

    public static Tensor ones(int... shape) {
        return full(1f, shape);
    }

    /** [0, 1, ..., n-1] as F32. */
    public static Tensor arange(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = i;
        return of(a, n);
    }

    /** Standard normal entries times {@code std}. */
    public static Tensor randn(Generator gen, float std, int... shape) {
        float[] a = new float[Math.toIntExact(Shapes.numel(shape))];
        for (int i = 0; i < a.length; i++) a[i] = (float) (gen.nextGaussian() * std);
        return of(a, shape);
    }

    /** Uniform entries in [lo, hi). */
    public static Tensor uniform(Generator gen, float lo, float hi, int... shape) {
        float[] a = new float[Math.toIntExact(Shapes.numel(shape))];
        for (int i = 0; i < a.length; i++) {
            // lo + (hi − lo)·u can round up to hi for u just below 1: keep hi excluded
            float v = lo + (hi - lo) * gen.nextFloat();
            a[i] = v < hi || hi <= lo ? v : Math.nextDown(hi);
        }
        return of(a, shape);
    }

    // ---------------------------------------------------------------- metadata

    public DType dtype() {
        return dtype;
    }

    public int[] shape() {
        return shape.clone();
    }

    /** Size of one dimension; negative indices count from the end. */
    public int size(int dim) {
        return shape[Shapes.dim(dim, shape.length)];
    }

    public int rank() {
        return shape.length;
    }

    public long numel() {
        return Shapes.numel(shape);
    }

    public long[] strides() {
        return strides.clone();
    }

    public long offset() {
        return offset;
    }

    /**
     * For a view of a memory-mapped file (a safetensors weight): lets the operating system take
     * the pages of the storage out of this process (madvise DONTNEED; they are read from the file
     * again if touched). For a weight that was just converted — quantized to NF4 on load — and
     * will not be read again, so that the file's pages do not stay in the process's memory. Does
     * nothing for other storage.
     */
    public void releaseMappedPages() {
        if (data.isMapped()) data.unload();
    }

    /** The storage this tensor views (possibly shared with other tensors). */
    public MemorySegment segment() {
        return data;
    }

    public boolean isContiguous() {
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }

    /** True for a contiguous F32 tensor backed by a float[] (the layout CPU kernels work on). */
    public boolean isDenseF32() {
        return isContiguous() && floatArray() != null;
    }

    /**
     * The float[] behind this F32 tensor's storage, or null when there is none. A segment sliced from
     * a float[] at a byte offset that is not a multiple of 4 has its floats straddling array elements:
     * kernels indexing the array would read garbage, so it counts as having no float[] (it is read
     * through the segment instead).
     */
    float[] floatArray() {
        return dtype == DType.F32 && data.heapBase().orElse(null) instanceof float[] a && data.address() % 4 == 0 ? a : null;
    }

    /** The float[] behind a dense F32 tensor; element 0 of the tensor is at {@link #arrayOffset()}. */
    public float[] array() {
        if (!isDenseF32()) throw new IllegalStateException("not a dense F32 tensor: " + this);
        return (float[]) data.heapBase().orElseThrow();
    }

    public int arrayOffset() {
        return Math.toIntExact(data.address() / dtype.byteSize() + offset);
    }

    /** This tensor if it is dense F32, otherwise a dense F32 copy (with autograd). */
    public Tensor dense() {
        return isDenseF32() ? this : Views.contiguousF32(this);
    }

    // ---------------------------------------------------------------- element access

    long storageIndex(int... idx) {
        if (idx.length != shape.length)
            throw new IllegalArgumentException("index of rank " + idx.length + " for tensor of rank " + shape.length);
        long p = offset;
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= shape[i])
                throw new IndexOutOfBoundsException("index " + Arrays.toString(idx) + " outside " + Shapes.str(shape));
            p += idx[i] * strides[i];
        }
        return p;
    }

    /** Reads storage element {@code i} (an absolute element index into the segment) as a float. */
    float readFloat(long i) {
        return switch (dtype) {
            case F32 -> data.getAtIndex(F32, i);
            case BF16 -> Precision.bf16ToFloat(data.getAtIndex(I16, i));
            case F16 -> Precision.f16ToFloat(data.getAtIndex(I16, i));
            case F64 -> (float) data.getAtIndex(F64, i);
            case I32 -> data.getAtIndex(I32, i);
            case I64 -> data.getAtIndex(I64, i);
            case I8 -> data.get(ValueLayout.JAVA_BYTE, i);
            case U8, BOOL -> data.get(ValueLayout.JAVA_BYTE, i) & 0xff;
        };
    }

    void writeFloat(long i, float v) {
        switch (dtype) {
            case F32 -> data.setAtIndex(F32, i, v);
            case BF16 -> data.setAtIndex(I16, i, Precision.floatToBf16(v));
            case F16 -> data.setAtIndex(I16, i, Precision.floatToF16(v));
            case F64 -> data.setAtIndex(F64, i, v);
            case I32 -> data.setAtIndex(I32, i, (int) v);
            case I64 -> data.setAtIndex(I64, i, (long) v);
            case I8, U8 -> data.set(ValueLayout.JAVA_BYTE, i, (byte) (int) v);
            case BOOL -> data.set(ValueLayout.JAVA_BYTE, i, (byte) (v != 0 ? 1 : 0));
        }
    }

    void writeLong(long i, long v) {
        switch (dtype) {
            case I32 -> data.setAtIndex(I32, i, (int) v);
            case I64 -> data.setAtIndex(I64, i, v);
            case I8, U8 -> data.set(ValueLayout.JAVA_BYTE, i, (byte) v);
            case BOOL -> data.set(ValueLayout.JAVA_BYTE, i, (byte) (v != 0 ? 1 : 0));
            default -> writeFloat(i, v);
        }
    }

    long readLong(long i) {
        return switch (dtype) {
            case I32 -> data.getAtIndex(I32, i);
            case I64 -> data.getAtIndex(I64, i);
            case I8 -> data.get(ValueLayout.JAVA_BYTE, i);
            case U8, BOOL -> data.get(ValueLayout.JAVA_BYTE, i) & 0xff;
            default -> (long) readFloat(i);
        };
    }

    public float get(int... idx) {
        return readFloat(storageIndex(idx));
    }

    public long getLong(int... idx) {
        return readLong(storageIndex(idx));
    }

    /** Writes one element in place (not recorded by autograd). */
    public void set(float value, int... idx) {
        writeFloat(storageIndex(idx), value);
    }

    /**
     * Writes one integer element in place (not recorded by autograd). Unlike {@link #set}, an I64 or
     * I32 value above 2^24 is stored exactly instead of being rounded through a float.
     */
    public void setLong(long value, int... idx) {
        writeLong(storageIndex(idx), value);
    }

    /** The single value of a one-element tensor. */
    public float item() {
        if (numel() != 1) throw new IllegalStateException("item() of a tensor with shape " + Shapes.str(shape));
        return readFloat(offset);
    }

    /** All elements in row-major order, as floats (a copy). */
    public float[] toFloatArray() {
        float[] out = new float[Math.toIntExact(numel())];
        int[] i = {0};
        Views.forEachIndex(this, p -> out[i[0]++] = readFloat(p));
        return out;
    }

    /** All elements in row-major order, as longs (a copy); for id and mask tensors. */
    public long[] toLongArray() {
        long[] out = new long[Math.toIntExact(numel())];
        int[] i = {0};
        Views.forEachIndex(this, p -> out[i[0]++] = readLong(p));
        return out;
    }

    public int[] toIntArray() {
        long[] l = toLongArray();
        int[] out = new int[l.length];
        for (int i = 0; i < l.length; i++) out[i] = Math.toIntExact(l[i]);
        return out;
    }

    // ---------------------------------------------------------------- autograd

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Marks a leaf tensor as a parameter whose gradient {@link #backward()} accumulates. */
    public Tensor requiresGrad(boolean value) {
        if (gradFn != null && !value) throw new IllegalStateException("cannot clear requiresGrad of a non-leaf tensor");
        if (value && !dtype.isFloatingPoint()) throw new IllegalStateException("only floating-point tensors can require grad");
        this.requiresGrad = value;
        return this;
    }

    /** The accumulated gradient (F32, same shape), or null before any backward. */
    public Tensor grad() {
        return grad;
    }

    public void zeroGrad() {
        grad = null;
    }

    public void setGrad(Tensor g) {
        this.grad = g;
    }

    public boolean isLeaf() {
        return gradFn == null;
    }

    /** The node that made this tensor, or null for a leaf. */
    public Node gradFn() {
        return gradFn;
    }

    /** A tensor sharing this one's storage, cut off from the autograd graph. */
    public Tensor detach() {
        return new Tensor(data, dtype, shape, strides, offset);
    }

    /** Backpropagates from this scalar: d(this)/d(leaf) is accumulated into each leaf's grad. */
    public void backward() {
        Autograd.backward(this, null);
    }

    /** Backpropagates with an explicit upstream gradient of this tensor's shape. */
    public void backward(Tensor gradient) {
        Autograd.backward(this, gradient);
    }

    /** Disables graph recording on this thread until the returned scope is closed. */
    public static Autograd.Scope noGrad() {
        return Autograd.noGrad();
    }

    // ---------------------------------------------------------------- views and copies (see Views)

    public Tensor reshape(int... newShape) { return Views.reshape(this, newShape); }
    public Tensor view(int... newShape) { return Views.view(this, newShape); }
    public Tensor flatten() { return reshape(-1); }
    public Tensor transpose(int d0, int d1) { return Views.transpose(this, d0, d1); }
    public Tensor t() { return transpose(-2, -1); }
    public Tensor permute(int... dims) { return Views.permute(this, dims); }
    public Tensor narrow(int dim, int start, int length) { return Views.narrow(this, dim, start, length); }
    public Tensor slice(int dim, int start, int end) { return Views.narrow(this, dim, start, end - start); }
    public Tensor select(int dim, int index) { return Views.select(this, dim, index); }
    public Tensor expand(int... newShape) { return Views.expand(this, newShape); }
    public Tensor unsqueeze(int dim) { return Views.unsqueeze(this, dim); }
    public Tensor squeeze(int dim) { return Views.squeeze(this, dim); }
    public Tensor contiguous() { return isContiguous() ? this : Views.copy(this); }
    /** A contiguous copy that owns fresh storage. */
    public Tensor copy() { return Views.copy(this); }
    /** Converts to another dtype (a copy; F32 gradients flow through float conversions). */
    public Tensor to(DType type) { return Views.convert(this, type); }
    /** Copies src's values into this tensor in place (broadcasting src); not recorded by autograd. */
    public Tensor copyFrom(Tensor src) { Views.copyInto(src, this); return this; }

    // ---------------------------------------------------------------- ops (entry points)

    public Tensor add(Tensor o) { return Arith.binary(Arith.Op.ADD, this, o); }
    public Tensor sub(Tensor o) { return Arith.binary(Arith.Op.SUB, this, o); }
    public Tensor mul(Tensor o) { return Arith.binary(Arith.Op.MUL, this, o); }
    public Tensor div(Tensor o) { return Arith.binary(Arith.Op.DIV, this, o); }
    public Tensor add(float s) { return Arith.affine(this, 1f, s); }
    public Tensor mul(float s) { return Arith.affine(this, s, 0f); }
    public Tensor neg() { return Arith.affine(this, -1f, 0f); }
    public Tensor exp() { return Unary.apply(Unary.Fn.EXP, this); }
    public Tensor log() { return Unary.apply(Unary.Fn.LOG, this); }
    public Tensor sqrt() { return Unary.apply(Unary.Fn.SQRT, this); }
    public Tensor rsqrt() { return Unary.apply(Unary.Fn.RSQRT, this); }
    public Tensor tanh() { return Unary.apply(Unary.Fn.TANH, this); }
    public Tensor square() { return Unary.apply(Unary.Fn.SQUARE, this); }
    public Tensor silu() { return Unary.apply(Unary.Fn.SILU, this); }
    public Tensor gelu() { return Unary.apply(Unary.Fn.GELU, this); }
    public Tensor geluTanh() { return Unary.apply(Unary.Fn.GELU_TANH, this); }
    /** Gemma-2 soft-capping {@code cap·tanh(x/cap)}. */
    public Tensor softcap(float cap) { return Unary.softcap(this, cap); }

    public Tensor sum() { return Reduce.sum(this, allDims(), false); }
    public Tensor sum(int dim, boolean keepDim) { return Reduce.sum(this, new int[]{dim}, keepDim); }
    public Tensor sum(int[] dims, boolean keepDim) { return Reduce.sum(this, dims, keepDim); }
    public Tensor mean() { return Reduce.mean(this, allDims(), false); }
    public Tensor mean(int dim, boolean keepDim) { return Reduce.mean(this, new int[]{dim}, keepDim); }
    public Tensor mean(int[] dims, boolean keepDim) { return Reduce.mean(this, dims, keepDim); }
    /** Maximum over one dimension (the gradient goes to the first maximal element). */
    public Tensor max(int dim, boolean keepDim) { return Reduce.max(this, dim, keepDim); }
    /** Index of the first maximal element over one dimension, as I64 (no grad). */
    public Tensor argmax(int dim, boolean keepDim) { return Reduce.argmax(this, dim, keepDim); }

    public Tensor matmul(Tensor o) { return MatMul.matmul(this, o); }
    public Tensor softmax(int dim) { return Softmax.softmax(this, dim); }
    public Tensor logSoftmax(int dim) { return Softmax.logSoftmax(this, dim); }

    private int[] allDims() {
        int[] d = new int[shape.length];
        for (int i = 0; i < d.length; i++) d[i] = i;
        return d;
    }

    public static Tensor concat(int dim, List<Tensor> parts) { return Joins.concat(dim, parts); }
    public static Tensor stack(int dim, List<Tensor> parts) { return Joins.stack(dim, parts); }
    public List<Tensor> split(int dim, int... sizes) { return Joins.split(this, dim, sizes); }
    public Tensor indexSelect(int dim, Tensor index) { return Joins.indexSelect(this, dim, index); }

    @Override
    public String toString() {
        return "Tensor(" + dtype + Shapes.str(shape) + (gradFn != null ? ", grad_fn=" + gradFn.name() :
                requiresGrad ? ", requires_grad" : "") + ")";
    }
}
