// A CPU stand-in for the GPU, for tests and for debugging kernels on a machine without one. The
// kernel files are compiled after this header by the host C++ compiler; the library exports the
// subset of libcuda's driver API and of cuBLAS that the Java backend binds, so that backend runs
// unchanged against it. Every CUDA thread of a block is an OS thread (blocks run one after
// another), __syncthreads and warp shuffles are barriers, device pointers are host addresses.
// Kernel semantics are checked here; speed and the real compiler are checked on a GPU.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <atomic>
#include <barrier>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

struct uint3 { unsigned int x, y, z; };
struct dim3 { unsigned int x, y, z; };

namespace emu {
inline thread_local uint3 tid;
inline thread_local int linear;
inline uint3 bid;
inline dim3 bdim, gdim;
inline std::barrier<>* blockBarrier;
struct Warp {
    std::unique_ptr<std::barrier<>> bar;
    unsigned long long slot[32];
};
inline std::vector<Warp> warps;
}

#define threadIdx emu::tid
#define blockIdx emu::bid
#define blockDim emu::bdim
#define gridDim emu::gdim
#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static      /* one block runs at a time */
#define __restrict__

inline void __syncthreads() { emu::blockBarrier->arrive_and_wait(); }
inline float __uint_as_float(unsigned int u) { float f; memcpy(&f, &u, 4); return f; }
inline float __int_as_float(int u) { float f; memcpy(&f, &u, 4); return f; }
inline unsigned int __float_as_uint(float f) { unsigned int u; memcpy(&u, &f, 4); return u; }
// compiled with -ffp-contract=off: each is one correctly rounded IEEE operation, as on the GPU
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fsqrt_rn(float a) { return sqrtf(a); }
inline float rsqrtf(float a) { return 1.f / sqrtf(a); }
inline float atomicAdd(float* p, float v) { return std::atomic_ref<float>(*p).fetch_add(v); }

template <class T>
T __shfl_xor_sync(unsigned int, T v, int laneMask, int = 32) {
    emu::Warp& w = emu::warps[emu::linear >> 5];
    int lane = emu::linear & 31;
    unsigned long long bits = 0;
    memcpy(&bits, &v, sizeof(T));
    w.slot[lane] = bits;
    w.bar->arrive_and_wait();
    T r;
    memcpy(&r, &w.slot[lane ^ laneMask], sizeof(T));
    w.bar->arrive_and_wait();
    return r;
}

namespace emu {
// cooperative: the kernel's file uses __syncthreads or warp shuffles, so its threads must run
// side by side; the others run one thread after another on the calling thread (much faster)
struct Entry {
    std::function<void(void**)> fn;
    bool cooperative;
};

template <class... A, size_t... I>
void invoke(void (*k)(A...), void** args, std::index_sequence<I...>) {
    k(*static_cast<std::remove_cv_t<std::remove_reference_t<A>>*>(args[I])...);
}

template <class... A>
void call(void (*k)(A...), void** args) { invoke(k, args, std::index_sequence_for<A...>{}); }

// Runs the grid: nt threads for the whole launch, each running its part of every block in turn.
// A thread that returns from the kernel leaves the block's barriers (as an exited GPU thread no
// longer holds back bar.sync), and the completion of `done` sets up the next block.
inline void run(const Entry& kernel, dim3 g, dim3 b, void** args) {
    gdim = g;
    bdim = b;
    int nt = (int) (b.x * b.y * b.z), nw = (nt + 31) / 32;
    long long blocks = (long long) g.x * g.y * g.z, next = 0;
    if (!kernel.cooperative) {
        for (long long k = 0; k < blocks; k++) {
            bid = {(unsigned) (k % g.x), (unsigned) ((k / g.x) % g.y), (unsigned) (k / ((long long) g.x * g.y))};
            for (int t = 0; t < nt; t++) {
                linear = t;
                tid = {t % b.x, (t / b.x) % b.y, t / (b.x * b.y)};
                kernel.fn(args);
            }
        }
        return;
    }
    std::unique_ptr<std::barrier<>> block;
    auto setup = [&]() noexcept {
        if (next < blocks) {
            bid = {(unsigned) (next % g.x), (unsigned) ((next / g.x) % g.y), (unsigned) (next / ((long long) g.x * g.y))};
            block = std::make_unique<std::barrier<>>(nt);
            blockBarrier = block.get();
            warps = std::vector<Warp>(nw);
            for (int w = 0; w < nw; w++) warps[w].bar = std::make_unique<std::barrier<>>(std::min(32, nt - 32 * w));
        }
        next++;
    };
    setup();
    std::barrier<decltype(setup)> done(nt, setup);
    std::vector<std::thread> threads;
    threads.reserve(nt);
    for (int t = 0; t < nt; t++)
        threads.emplace_back([&, t] {
            linear = t;
            tid = {t % b.x, (t / b.x) % b.y, t / (b.x * b.y)};
            for (long long k = 0; k < blocks; k++) {
                kernel.fn(args);
                blockBarrier->arrive_and_drop();
                warps[t >> 5].bar->arrive_and_drop();
                done.arrive_and_wait();
            }
        });
    for (auto& th : threads) th.join();
}
}

const emu::Entry* emu_kernel(const char* name);   // the table after the kernels
