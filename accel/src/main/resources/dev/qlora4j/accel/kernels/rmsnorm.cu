// RMSNorm over the last dimension, one block per row: y = x·r·w' with r = 1/sqrt(mean(x²) + eps)
// and w' = w (Llama, Qwen2) or 1 + w (Gemma). The weight is fp32 (frozen norm weights are widened
// once); r is kept per row for the backward.

template <class T>
__device__ void rmsnorm_fwd(const T* x, const float* w, T* y, float* rstd, int cols, float eps, int onePlus) {
    long long r = blockIdx.x;
    const T* xr = x + r * cols;
    T* yr = y + r * cols;
    float ss = 0.f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        float v = ld(xr, c);
        ss += v * v;
    }
    ss = block_sum(ss);
    float rs = 1.f / sqrtf(ss / cols + eps);
    if (threadIdx.x == 0) rstd[r] = rs;
    float add = onePlus ? 1.f : 0.f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) st(yr, c, ld(xr, c) * (w[c] + add) * rs);
}

// dx = r·(g⊙w') − x·r³·mean(g⊙w'⊙x)  (the weight is frozen in LoRA training: no dw); with
// accumulate, added to what dx holds (the residual stream's gradient), one rounding
template <class T>
__device__ void rmsnorm_bwd(const T* x, const float* w, const float* rstd, const T* g, T* dx, int cols, int onePlus, int accumulate) {
    long long r = blockIdx.x;
    const T* xr = x + r * cols;
    const T* gr = g + r * cols;
    float add = onePlus ? 1.f : 0.f, rs = rstd[r];
    float dot = 0.f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) dot += ld(gr, c) * (w[c] + add) * ld(xr, c);
    dot = block_sum(dot);
    float proj = dot * rs * rs / cols;
    T* dr = dx + r * cols;
    for (int c = threadIdx.x; c < cols; c += blockDim.x)
        st(dr, c, (accumulate ? ld(dr, c) : 0.f) + (rs * ld(gr, c) * (w[c] + add) - rs * proj * ld(xr, c)));
}

extern "C" __global__ void rmsnorm_fwd_f32(const float* x, const float* w, float* y, float* rstd, int cols, float eps, int onePlus) {
    rmsnorm_fwd(x, w, y, rstd, cols, eps, onePlus);
}
extern "C" __global__ void rmsnorm_fwd_bf16(const bf16* x, const float* w, bf16* y, float* rstd, int cols, float eps, int onePlus) {
    rmsnorm_fwd(x, w, y, rstd, cols, eps, onePlus);
}
extern "C" __global__ void rmsnorm_bwd_f32(const float* x, const float* w, const float* rstd, const float* g, float* dx, int cols,
                                           int onePlus, int accumulate) {
    rmsnorm_bwd(x, w, rstd, g, dx, cols, onePlus, accumulate);
}
extern "C" __global__ void rmsnorm_bwd_bf16(const bf16* x, const float* w, const float* rstd, const bf16* g, bf16* dx, int cols,
                                            int onePlus, int accumulate) {
    rmsnorm_bwd(x, w, rstd, g, dx, cols, onePlus, accumulate);
}
