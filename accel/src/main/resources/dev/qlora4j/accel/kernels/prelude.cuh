// Shared by every kernel file: NVRTC compiles prelude + file as one translation unit, with no
// include path (bf16 is handled as raw bits, so cuda_bf16.h is not needed), and the CPU emulator
// compiles the same text after its own header.

typedef unsigned short bf16;

#define NEG_INF (-__int_as_float(0x7f800000))

// bf16 is the upper half of an fp32
__device__ __forceinline__ float bf2f(bf16 h) { return __uint_as_float(((unsigned int) h) << 16); }

// round to nearest, ties to even; NaN stays a (quiet) NaN, as Precision.floatToBf16 does
__device__ __forceinline__ bf16 f2bf(float f) {
    unsigned int u = __float_as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (bf16) ((u >> 16) | 0x40u);
    return (bf16) ((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

// loads and stores that widen / round, so one template body serves fp32 and bf16 storage
__device__ __forceinline__ float ld(const float* p, long long i) { return p[i]; }
__device__ __forceinline__ float ld(const bf16* p, long long i) { return bf2f(p[i]); }
__device__ __forceinline__ void st(float* p, long long i, float v) { p[i] = v; }
__device__ __forceinline__ void st(bf16* p, long long i, float v) { p[i] = f2bf(v); }

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Block-wide sum returned to every thread. Every thread of the block must call it; blockDim.x is a
// multiple of 32 and at most 1024.
__device__ float block_sum(float v) {
    __shared__ float part[32];
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
    v = warp_sum(v);
    __syncthreads();    // a previous call's readers are done with part
    if (lane == 0) part[w] = v;
    __syncthreads();
    v = lane < (int) (blockDim.x >> 5) ? part[lane] : 0.f;
    return warp_sum(v);
}

__device__ float block_max(float v) {
    __shared__ float part[32];
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) part[w] = v;
    __syncthreads();
    v = lane < (int) (blockDim.x >> 5) ? part[lane] : NEG_INF;
    return warp_max(v);
}

// grid-stride loop over [0, n)
#define FOR_EACH(i, n) for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
                            i += (long long) gridDim.x * blockDim.x)
