package dev.qlora4j.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp, log and tanh in F32 from IEEE arithmetic only (range reduction, fused multiply-adds,
 * exponent bit arithmetic), as vectors and as scalars that give the same result lane for lane.
 *
 * <p>Why not {@code lanewise(VectorOperators.EXP)}: the JIT computes that with the platform's
 * vector math library while the interpreter and C1 fall back to {@link Math}, and the two differ
 * in the last bit. A training run would then depend on when the JIT compiled which method — and
 * a resumed run, in a fresh JVM, would not reproduce the uninterrupted one. Basic arithmetic is
 * exact in every mode, so these are deterministic. Accuracy: about 1 ulp (exp, log), 2 ulp (tanh).
 */
public final class Transcendentals {
    private Transcendentals() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, S.vectorShape());

    private static final float LOG2E = 1.44269504f;
    private static final float LN2_HI = 0.693145751953125f, LN2_LO = 1.42860682030941723212e-6f;
    /** Beyond these exp overflows to +∞ or underflows to 0 (subnormal results are flushed). */
    private static final float EXP_MAX = 88.72283f, EXP_MIN = -87.33654f;
    // 1/k! for the Taylor series of e^r on |r| ≤ ln2/2 (truncation error below 1e-9 relative)
    private static final float C2 = 1f / 2, C3 = 1f / 6, C4 = 1f / 24, C5 = 1f / 120, C6 = 1f / 720, C7 = 1f / 5040;

    /** e^x. */
    public static float exp(float x) {
        if (Float.isNaN(x)) return x;
        if (x > EXP_MAX) return Float.POSITIVE_INFINITY;
        if (x < EXP_MIN) return 0f;
        float n = (float) Math.floor(x * LOG2E + 0.5f);   // the vector path's rounding, lane for lane
        float r = Math.fma(-n, LN2_LO, Math.fma(-n, LN2_HI, x));
        float p = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(C7, r, C6), r, C5), r, C4), r, C3), r, C2), r, 1f);
        p = Math.fma(p, r, 1f);
        return Float.intBitsToFloat(Float.floatToRawIntBits(p) + ((int) n << 23));
    }

    public static FloatVector exp(FloatVector x) {
        VectorMask<Float> nan = x.test(VectorOperators.IS_NAN), big = x.compare(VectorOperators.GT, EXP_MAX),
                small = x.compare(VectorOperators.LT, EXP_MIN);
        FloatVector xc = x.max(EXP_MIN).min(EXP_MAX);
        FloatVector n = roundNearest(xc.mul(LOG2E));
        FloatVector r = mad(n.neg(), LN2_HI, xc);
        r = mad(n.neg(), LN2_LO, r);
        FloatVector p = r.fma(C7, C6);
        p = mad(mad(mad(mad(mad(mad(p, r, C5), r, C4), r, C3), r, C2), r, 1f), r, 1f);
        IntVector bits = p.reinterpretAsInts().add(((IntVector) n.convert(VectorOperators.F2I, 0)).lanewise(VectorOperators.LSHL, 23));
        FloatVector e = bits.reinterpretAsFloats();
        return e.blend(Float.POSITIVE_INFINITY, big).blend(0f, small).blend(x, nan);
    }

    /** a·b + c with one rounding. */
    private static FloatVector mad(FloatVector a, FloatVector b, float c) {
        return a.fma(b, FloatVector.broadcast(S, c));
    }

    private static FloatVector mad(FloatVector a, float b, FloatVector c) {
        return a.fma(FloatVector.broadcast(S, b), c);
    }

    /** floor(v + 0.5) in float, as the scalar path computes it. */
    private static FloatVector roundNearest(FloatVector v) {
        FloatVector t = v.add(0.5f);
        FloatVector truncated = ((IntVector) t.convert(VectorOperators.F2I, 0)).convert(VectorOperators.I2F, 0).reinterpretAsFloats();
        return truncated.sub(1f, truncated.compare(VectorOperators.GT, t));
    }

    // log(m) for m in [√½, √2): 2·atanh(s), s = (m−1)/(m+1), |s| ≤ 0.1716; odd series to s^13
    private static final float L3 = 1f / 3, L5 = 1f / 5, L7 = 1f / 7, L9 = 1f / 9, L11 = 1f / 11, L13 = 1f / 13;
    private static final float LN2 = 0.6931471805599453f;

    /** The natural logarithm (NaN below 0, −∞ at 0, +∞ at +∞; subnormal inputs are treated as 0). */
    public static float log(float x) {
        if (Float.isNaN(x) || x < 0) return Float.NaN;
        if (x < Float.MIN_NORMAL) return Float.NEGATIVE_INFINITY;
        if (x == Float.POSITIVE_INFINITY) return x;
        int bits = Float.floatToRawIntBits(x);
        int e = ((bits >>> 23) & 0xff) - 127;
        float m = Float.intBitsToFloat((bits & 0x007fffff) | 0x3f800000);   // [1, 2)
        if (m > 1.41421356f) {
            m *= 0.5f;
            e++;
        }
        float s = (m - 1f) / (m + 1f), s2 = s * s;
        float q = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(L13, s2, L11), s2, L9), s2, L7), s2, L5), s2, L3);
        float logm = Math.fma(2f * s * s2, q, 2f * s);
        return Math.fma(e, LN2, logm);
    }

    public static FloatVector log(FloatVector x) {
        IntVector bits = x.reinterpretAsInts();
        IntVector e = bits.lanewise(VectorOperators.LSHR, 23).and(0xff).sub(127);
        FloatVector m = bits.and(0x007fffff).or(0x3f800000).reinterpretAsFloats();
        VectorMask<Float> high = m.compare(VectorOperators.GT, 1.41421356f);
        m = m.blend(m.mul(0.5f), high);
        FloatVector ef = ((FloatVector) e.convert(VectorOperators.I2F, 0)).add(1f, high);
        FloatVector s = m.sub(1f).div(m.add(1f)), s2 = s.mul(s);
        FloatVector q = mad(mad(mad(mad(s2.fma(L13, L11), s2, L9), s2, L7), s2, L5), s2, L3);
        FloatVector logm = s.mul(2f).mul(s2).fma(q, s.mul(2f));
        FloatVector out = mad(ef, LN2, logm);
        out = out.blend(Float.NEGATIVE_INFINITY, x.compare(VectorOperators.LT, Float.MIN_NORMAL));
        out = out.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.EQ, Float.POSITIVE_INFINITY));
        return out.blend(Float.NaN, x.compare(VectorOperators.LT, 0f).or(x.test(VectorOperators.IS_NAN)));
    }

    // tanh near 0: its odd Taylor series to x^13 (|x| < 0.5: error < 2e-8 relative)
    private static final float T3 = -1f / 3, T5 = 2f / 15, T7 = -17f / 315, T9 = 62f / 2835, T11 = -1382f / 155925,
            T13 = 21844f / 6081075;

    /** tanh: the series near 0, 1 − 2/(e^{2|x|} + 1) with the sign elsewhere. */
    public static float tanh(float x) {
        if (Float.isNaN(x)) return x;
        float a = Math.abs(x);
        if (a < 0.5f) {
            float x2 = x * x;
            float q = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(T13, x2, T11), x2, T9), x2, T7), x2, T5), x2, T3);
            return Math.fma(x * x2, q, x);
        }
        if (a > 9.1f) return Math.copySign(1f, x);
        float t = 1f - 2f / (exp(2f * a) + 1f);
        return Math.copySign(t, x);
    }

    public static FloatVector tanh(FloatVector x) {
        FloatVector a = x.abs(), x2 = x.mul(x);
        FloatVector q = mad(mad(mad(mad(x2.fma(T13, T11), x2, T9), x2, T7), x2, T5), x2, T3);
        FloatVector near = x.mul(x2).fma(q, x);
        FloatVector far = FloatVector.broadcast(S, 1f).sub(FloatVector.broadcast(S, 2f).div(exp(a.mul(2f)).add(1f)));
        far = far.blend(1f, a.compare(VectorOperators.GT, 9.1f));
        far = far.lanewise(VectorOperators.NEG, x.compare(VectorOperators.LT, 0f));
        return far.blend(near, a.compare(VectorOperators.LT, 0.5f)).blend(x, x.test(VectorOperators.IS_NAN));
    }
}
