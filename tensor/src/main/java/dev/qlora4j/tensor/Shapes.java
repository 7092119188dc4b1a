package dev.qlora4j.tensor;

import java.util.Arrays;

/** Shape arithmetic: element counts, row-major strides, broadcasting, dimension normalisation. */
public final class Shapes {
    private Shapes() {}

    public static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    /** Row-major (C order) strides, in elements. */
    public static long[] contiguousStrides(int[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    /** Maps a possibly negative dimension index onto [0, rank). */
    public static int dim(int dim, int rank) {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank)
            throw new IllegalArgumentException("dimension " + dim + " out of range for rank " + rank);
        return d;
    }

    /** The NumPy/PyTorch broadcast of two shapes (aligned at the trailing dimension). */
    public static int[] broadcast(int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            int db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (da != db && da != 1 && db != 1)
                throw new IllegalArgumentException("shapes " + Arrays.toString(a) + " and "
                        + Arrays.toString(b) + " cannot be broadcast");
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** Resolves one −1 entry of a requested shape against an element count. */
    public static int[] infer(int[] requested, long numel) {
        int[] shape = requested.clone();
        int unknown = -1;
        long known = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == -1) {
                if (unknown >= 0) throw new IllegalArgumentException("only one dimension can be -1");
                unknown = i;
            } else {
                if (shape[i] < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(requested));
                known *= shape[i];
            }
        }
        if (unknown >= 0) {
            if (known == 0 || numel % known != 0)
                throw new IllegalArgumentException("cannot reshape " + numel + " elements to " + Arrays.toString(requested));
            shape[unknown] = (int) (numel / known);
        } else if (known != numel) {
            throw new IllegalArgumentException("cannot reshape " + numel + " elements to " + Arrays.toString(requested));
        }
        return shape;
    }

    public static String str(int[] shape) {
        return Arrays.toString(shape);
    }
}
