// Cross-entropy over a vocabulary row, forward and backward in one pass, one block per row: the
// logits' buffer receives the gradient in place, so a chunk of rows never holds fp32 logits and
// their gradient at once. With softcap > 0 the logits are first capped, z = cap·tanh(l/cap)
// (Gemma-2's final_logit_softcapping). Rows whose target is −100 get loss 0 and gradient 0.
//   loss[r] = logsumexp(z) − z[target]
//   dl = scale·(softmax(z) − onehot(target))·dz/dl,  dz/dl = 1 − (z/cap)²

__device__ __forceinline__ float capped(float l, float cap) { return cap > 0.f ? cap * tanhf(l / cap) : l; }

template <class T>
__device__ void cross_entropy(T* logits, const int* targets, float* loss, int vocab, float cap, float scale) {
    long long r = blockIdx.x;
    T* row = logits + r * vocab;
    int target = targets[r];
    if (target == -100) {
        for (int j = threadIdx.x; j < vocab; j += blockDim.x) st(row, j, 0.f);
        if (threadIdx.x == 0) loss[r] = 0.f;
        return;
    }
    float m = NEG_INF;
    for (int j = threadIdx.x; j < vocab; j += blockDim.x) m = fmaxf(m, capped(ld(row, j), cap));
    m = block_max(m);
    float s = 0.f;
    for (int j = threadIdx.x; j < vocab; j += blockDim.x) s += expf(capped(ld(row, j), cap) - m);
    s = block_sum(s);
    float logSum = logf(s);
    float zt = capped(ld(row, target), cap);
    __syncthreads();    // everyone has read row[target] before it is overwritten
    if (threadIdx.x == 0) loss[r] = logSum - (zt - m);
    float inv = scale / s;
    for (int j = threadIdx.x; j < vocab; j += blockDim.x) {
        float z = capped(ld(row, j), cap);
        float d = expf(z - m) * inv - (j == target ? scale : 0.f);
        if (cap > 0.f) {
            float t = z / cap;
            d *= 1.f - t * t;
        }
        st(row, j, d);
    }
}

extern "C" __global__ void cross_entropy_f32(float* logits, const int* targets, float* loss, int vocab, float cap, float scale) {
    cross_entropy(logits, targets, loss, vocab, cap, scale);
}
extern "C" __global__ void cross_entropy_bf16(bf16* logits, const int* targets, float* loss, int vocab, float cap, float scale) {
    cross_entropy(logits, targets, loss, vocab, cap, scale);
}
