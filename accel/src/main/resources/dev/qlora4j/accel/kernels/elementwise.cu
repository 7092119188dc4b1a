// Conversions, row gathers, residual adds, dropout and the gated MLP activation (SwiGLU / GeGLU-tanh), each element
// computed with the operations, in the order, of the CPU backend's Activations.

extern "C" __global__ void cast_f32_bf16(const float* x, bf16* y, long long n) {
    FOR_EACH(i, n) y[i] = f2bf(x[i]);
}

extern "C" __global__ void cast_bf16_f32(const bf16* x, float* y, long long n) {
    FOR_EACH(i, n) y[i] = bf2f(x[i]);
}

#define GATED_SILU 0
#define GATED_GELU_TANH 1
#define SQRT_2_OVER_PI 0.7978845608028654f
#define GELU_C 0.044715f
#define GELU_3C (3.f * GELU_C)

__device__ __forceinline__ float gelu_tanh_inner(float x) {
    return tanhf(__fmul_rn(__fmul_rn(__fadd_rn(__fmul_rn(__fmul_rn(x, x), GELU_C), 1.f), x), SQRT_2_OVER_PI));
}

template <class T>
__device__ void gated_fwd(int kind, const T* gate, const T* up, T* out, long long n) {
    FOR_EACH(i, n) {
        float x = ld(gate, i), a;
        if (kind == GATED_SILU) a = x / (expf(-x) + 1.f);
        else a = __fmul_rn(__fmul_rn(x, 0.5f), gelu_tanh_inner(x) + 1.f);
        st(out, i, __fmul_rn(a, ld(up, i)));
    }
}

// dgate = g·up·act'(gate), dup = g·act(gate)
template <class T>
__device__ void gated_bwd(int kind, const T* gate, const T* up, const T* g, T* dgate, T* dup, long long n) {
    FOR_EACH(i, n) {
        float x = ld(gate, i), gi = ld(g, i), a, da;
        if (kind == GATED_SILU) {
            float onePlusExp = expf(-x) + 1.f, sig = 1.f / onePlusExp;
            a = x / onePlusExp;
            da = __fmul_rn(sig, __fadd_rn(__fmul_rn(x, __fadd_rn(-sig, 1.f)), 1.f));
        } else {
            float t = gelu_tanh_inner(x);
            float du = __fmul_rn(__fadd_rn(__fmul_rn(__fmul_rn(x, x), GELU_3C), 1.f), SQRT_2_OVER_PI);
            a = __fmul_rn(__fmul_rn(x, 0.5f), t + 1.f);
            da = __fadd_rn(__fmul_rn(t + 1.f, 0.5f), __fmul_rn(__fmul_rn(__fmul_rn(x, 0.5f), __fadd_rn(-__fmul_rn(t, t), 1.f)), du));
        }
        st(dup, i, __fmul_rn(gi, a));
        st(dgate, i, __fmul_rn(__fmul_rn(gi, ld(up, i)), da));
    }
}

extern "C" __global__ void gated_fwd_f32(int kind, const float* gate, const float* up, float* out, long long n) {
    gated_fwd(kind, gate, up, out, n);
}
extern "C" __global__ void gated_fwd_bf16(int kind, const bf16* gate, const bf16* up, bf16* out, long long n) {
    gated_fwd(kind, gate, up, out, n);
}
extern "C" __global__ void gated_bwd_f32(int kind, const float* gate, const float* up, const float* g, float* dgate,
                                         float* dup, long long n) {
    gated_bwd(kind, gate, up, g, dgate, dup, n);
}
extern "C" __global__ void gated_bwd_bf16(int kind, const bf16* gate, const bf16* up, const bf16* g, bf16* dgate,
                                          bf16* dup, long long n) {
    gated_bwd(kind, gate, up, g, dgate, dup, n);
}

// out[r] = scale·table[rows[r]] (embedding lookup; Gemma's √C scaling; the classifier's pooled rows)
extern "C" __global__ void gather_rows_bf16(const bf16* table, const int* rows, bf16* out, int cols, float scale, long long n) {
    FOR_EACH(i, n) {
        long long r = i / cols;
        out[i] = f2bf(bf2f(table[(long long) rows[r] * cols + i % cols]) * scale);
    }
}

// dst[rows[r]] = src[r] (the pooled rows' gradient back into the sequence; rows are distinct)
extern "C" __global__ void scatter_rows_bf16(const bf16* src, const int* rows, bf16* dst, int cols, long long n) {
    FOR_EACH(i, n) {
        long long r = i / cols;
        dst[(long long) rows[r] * cols + i % cols] = src[i];
    }
}

// acc += x (the residual stream), one rounding
extern "C" __global__ void add_bf16(bf16* acc, const bf16* x, long long n) {
    FOR_EACH(i, n) acc[i] = f2bf(bf2f(acc[i]) + bf2f(x[i]));
}

// out = a + b (a residual add into a new buffer), one rounding
extern "C" __global__ void add_out_bf16(bf16* out, const bf16* a, const bf16* b, long long n) {
    FOR_EACH(i, n) out[i] = f2bf(bf2f(a[i]) + bf2f(b[i]));
}

// y [rows, cols] += bias [cols]
extern "C" __global__ void add_bias_bf16(bf16* y, const float* bias, int cols, long long n) {
    FOR_EACH(i, n) y[i] = f2bf(bf2f(y[i]) + bias[i % cols]);
}

// Inverted dropout with a counter-based mask: element i is kept when hash(seed, i) ≥ p, and then
// scaled by 1/(1 − p); the same seed gives the same mask, so the backward regenerates it.
__device__ __forceinline__ float dropout_uniform(unsigned long long seed, long long i) {
    unsigned long long z = seed + 0x9e3779b97f4a7c15ull * (unsigned long long) (i + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (float) (z >> 40) * (1.f / 16777216.f);
}

extern "C" __global__ void dropout_bf16(const bf16* x, bf16* y, float p, unsigned long long seed, long long n) {
    float keep = 1.f / (1.f - p);
    FOR_EACH(i, n) y[i] = dropout_uniform(seed, i) >= p ? f2bf(bf2f(x[i]) * keep) : (bf16) 0;
}
