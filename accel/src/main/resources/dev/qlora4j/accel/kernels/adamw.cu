// One AdamW step over fp32 parameters as torch.optim.AdamW (and the CPU AdamW) compute it, with
// the same float operations in the same order and no fused multiply-add, so a GPU step equals the
// CPU step bit for bit: p·= 1 − lr·wd; m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²;
// p −= stepSize·m / (sqrt(v)/sqrt(bc₂) + eps), stepSize = lr/bc₁ (from the host, in double).
extern "C" __global__ void adamw_step(float* p, const float* g, float* m, float* v, long long n, float beta1, float beta2,
                                      float eps, float decay, float stepSize, float bc2Sqrt) {
    FOR_EACH(i, n) {
        float gi = g[i];
        float pi = __fmul_rn(p[i], decay);
        float mi = __fadd_rn(__fmul_rn(beta1, m[i]), __fmul_rn(1.f - beta1, gi));
        float vi = __fadd_rn(__fmul_rn(beta2, v[i]), __fmul_rn(__fmul_rn(1.f - beta2, gi), gi));
        float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(vi), bc2Sqrt), eps);
        p[i] = __fsub_rn(pi, __fdiv_rn(__fmul_rn(stepSize, mi), denom));
        m[i] = mi;
        v[i] = vi;
    }
}
