// The softmax of eager attention between two cuBLAS batched GEMMs (S = scale·Q·Kᵀ, O = P·V), as
// transformers' eager path computes it for Gemma-2: the scores in bf16 (its matmul's output dtype),
// optional soft-capping z = cap·tanh(s/cap), then the masks, then a softmax in fp32. One block per
// query row of one head. Rows: [B·H·T] with S [B, H, T, Skv] bf16. Query i sees key j when
//   (causal == 0 or j ≤ i + off) and (window == 0 or i + off − j < window) and keyPad[b, j] != 0
// with off = Skv − T. A row that sees no key gets P = 0 (and so O = 0), never NaN.

// starts (packed rows, else null): [B, T], the first token of query i's own sequence, the first key it may see
__device__ __forceinline__ bool attn_visible(int i, int j, int off, int causal, int window, const int* keyPad, long long b, int skv,
                                             const int* starts, int T) {
    if (causal && j > i + off) return false;
    if (starts != 0 && j < starts[b * T + i]) return false;
    if (window > 0 && i + off - j >= window) return false;
    return keyPad == 0 || keyPad[b * skv + j] != 0;
}

__device__ __forceinline__ float attn_capped(float s, float cap) { return cap > 0.f ? cap * tanhf(s / cap) : s; }

// S → P (bf16, the operand of P·V) and lse[row] = log Σ exp(z) over visible keys (−inf: none)
extern "C" __global__ void attn_softmax_fwd(const bf16* S, bf16* P, float* lse, const int* keyPad, const int* starts, int T, int skv, int heads,
                                           int causal, int window, float cap) {
    long long row = blockIdx.x;
    int i = (int) (row % T);
    long long b = row / T / heads;
    int off = skv - T;
    const bf16* s = S + row * skv;
    bf16* p = P + row * skv;
    float m = NEG_INF;
    for (int j = threadIdx.x; j < skv; j += blockDim.x)
        if (attn_visible(i, j, off, causal, window, keyPad, b, skv, starts, T)) m = fmaxf(m, attn_capped(bf2f(s[j]), cap));
    m = block_max(m);
    float sum = 0.f;
    if (m != NEG_INF)
        for (int j = threadIdx.x; j < skv; j += blockDim.x)
            if (attn_visible(i, j, off, causal, window, keyPad, b, skv, starts, T)) sum += expf(attn_capped(bf2f(s[j]), cap) - m);
    sum = block_sum(sum);
    float inv = sum > 0.f ? 1.f / sum : 0.f;
    for (int j = threadIdx.x; j < skv; j += blockDim.x)
        p[j] = f2bf(m != NEG_INF && attn_visible(i, j, off, causal, window, keyPad, b, skv, starts, T) ? expf(attn_capped(bf2f(s[j]), cap) - m) * inv : 0.f);
    if (threadIdx.x == 0) lse[row] = m == NEG_INF ? NEG_INF : m + logf(sum);
}

// dP (bf16, = dO·Vᵀ) → dS (bf16) = P ⊙ (dP − Σ P⊙dP) · dz/ds, with P recomputed in fp32 from S and lse
extern "C" __global__ void attn_softmax_bwd(const bf16* S, const float* lse, const bf16* dP, bf16* dS, const int* keyPad, const int* starts, int T,
                                           int skv, int heads, int causal, int window, float cap) {
    long long row = blockIdx.x;
    int i = (int) (row % T);
    long long b = row / T / heads;
    int off = skv - T;
    const bf16* s = S + row * skv;
    const bf16* dp = dP + row * skv;
    bf16* ds = dS + row * skv;
    float l = lse[row];
    float dot = 0.f;
    if (l != NEG_INF)
        for (int j = threadIdx.x; j < skv; j += blockDim.x)
            if (attn_visible(i, j, off, causal, window, keyPad, b, skv, starts, T)) dot += expf(attn_capped(bf2f(s[j]), cap) - l) * bf2f(dp[j]);
    dot = block_sum(dot);
    for (int j = threadIdx.x; j < skv; j += blockDim.x) {
        float g = 0.f;
        if (l != NEG_INF && attn_visible(i, j, off, causal, window, keyPad, b, skv, starts, T)) {
            float z = attn_capped(bf2f(s[j]), cap);
            g = expf(z - l) * (bf2f(dp[j]) - dot);
            if (cap > 0.f) {
                float t = z / cap;
                g *= 1.f - t * t;
            }
        }
        ds[j] = f2bf(g);
    }
}

// x [B, T, Hs, D] → y [B, H, T, D]; head h reads head h / (H / Hs) (GQA's repeat_kv)
extern "C" __global__ void heads_split_bf16(const bf16* x, bf16* y, int B, int T, int H, int Hs, int D) {
    long long n = (long long) B * H * T * D;
    int group = H / Hs;
    FOR_EACH(idx, n) {
        int d = (int) (idx % D);
        long long r = idx / D;
        int t = (int) (r % T);
        r /= T;
        int h = (int) (r % H);
        long long b = r / H;
        y[idx] = x[((b * T + t) * Hs + h / group) * D + d];
    }
}

// y [B, H, T, D] → x [B, T, Hs, D], each source head the fp32 sum of the heads that read it
extern "C" __global__ void heads_merge_bf16(const bf16* y, bf16* x, int B, int T, int H, int Hs, int D) {
    long long n = (long long) B * T * Hs * D;
    int group = H / Hs;
    FOR_EACH(idx, n) {
        int d = (int) (idx % D);
        long long r = idx / D;
        int hs = (int) (r % Hs);
        r /= Hs;
        int t = (int) (r % T);
        long long b = r / T;
        float acc = 0.f;
        for (int g = 0; g < group; g++) acc += bf2f(y[((b * H + hs * group + g) * T + t) * D + d]);
        x[idx] = f2bf(acc);
    }
}
