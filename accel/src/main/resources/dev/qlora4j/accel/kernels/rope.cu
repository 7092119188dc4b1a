// Rotary embedding in the "rotate half" layout, in place on [B, T, H, D] rows (the projections'
// GEMM output, before heads are split): y₁ = x₁·cos − x₂·sin, y₂ = x₂·cos + x₁·sin for the pair
// (i, i + D/2). sign = −1 rotates back (the backward). cos/sin: [maxPositions, D/2] fp32;
// positions: [B, T] int32.

template <class T>
__device__ void rope(T* x, const int* positions, const float* cosT, const float* sinT, int tokens, int heads, int half,
                     float sign) {
    long long n = (long long) tokens * heads * half;
    FOR_EACH(idx, n) {
        int i = (int) (idx % half);
        long long th = idx / half;          // token·heads + head
        int pos = positions[th / heads];
        long long base = th * 2 * half;
        float c = cosT[(long long) pos * half + i], s = sign * sinT[(long long) pos * half + i];
        float a = ld(x, base + i), b = ld(x, base + i + half);
        st(x, base + i, a * c - b * s);
        st(x, base + i + half, b * c + a * s);
    }
}

extern "C" __global__ void rope_f32(float* x, const int* positions, const float* cosT, const float* sinT, int tokens, int heads,
                                    int half, float sign) {
    rope(x, positions, cosT, sinT, tokens, heads, half, sign);
}
extern "C" __global__ void rope_bf16(bf16* x, const int* positions, const float* cosT, const float* sinT, int tokens, int heads,
                                     int half, float sign) {
    rope(x, positions, cosT, sinT, tokens, heads, half, sign);
}
