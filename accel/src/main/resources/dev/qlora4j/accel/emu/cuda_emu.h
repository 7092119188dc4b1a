// A CPU stand-in for the GPU, for tests and for debugging kernels on a machine without one. The
// kernel files are compiled after this header by the host C++ compiler; the library exports the
// subset of libcuda's driver API and of cuBLAS that the Java backend binds, so that backend runs
// unchanged against it. Everything runs on the calling thread, one block after another; the threads
// of a block that synchronises are fibers switched at __syncthreads and warp shuffles. Device
// pointers are host addresses.
// Kernel semantics are checked here; speed and the real compiler are checked on a GPU.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <atomic>
#include <ucontext.h>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

struct uint3 { unsigned int x, y, z; };
struct dim3 { unsigned int x, y, z; };

namespace emu {
inline thread_local uint3 tid;
inline thread_local int linear;
inline uint3 bid;
inline dim3 bdim, gdim;

// A barrier among fibers that run one at a time: a fiber that arrives waits (yields) until every
// fiber still running has arrived; a fiber that exits counts as arrived from then on, as an
// exited GPU thread no longer holds back bar.sync.
struct Barrier {
    int alive = 0, arrived = 0;
    long long phase = 0;
};
struct Warp {
    Barrier bar;
    unsigned long long slot[32];
};
inline Barrier block;
inline std::vector<Warp> warps;
inline std::vector<std::unique_ptr<char[]>> stacks;   // not touched until used, so not committed
inline std::vector<char> finished;
inline const std::function<void(void**)>* current;
inline void** currentArgs;
const size_t STACK = 128 * 1024;
void fiberMain();

#if defined(__x86_64__)
// A fiber switch that saves only the callee-saved registers (swapcontext also saves the signal
// mask, a system call per switch, which made the emulator spend most of its time in the kernel).
extern "C" void emu_switch(void** save, void* load);
asm(".text\n.globl emu_switch\n.hidden emu_switch\n.type emu_switch,@function\nemu_switch:\n"
    "pushq %rbp\npushq %rbx\npushq %r12\npushq %r13\npushq %r14\npushq %r15\n"
    "movq %rsp, (%rdi)\nmovq %rsi, %rsp\n"
    "popq %r15\npopq %r14\npopq %r13\npopq %r12\npopq %rbx\npopq %rbp\nret\n");
inline void* schedulerSp;
inline std::vector<void*> fiberSp;

inline void startFiber(int t) {
    fiberSp.resize(std::max(fiberSp.size(), (size_t) t + 1));
    uintptr_t top = ((uintptr_t) stacks[t].get() + STACK) & ~(uintptr_t) 15;
    void** sp = (void**) top;
    *--sp = nullptr;                  // where fiberMain would return to: it never returns
    *--sp = (void*) &fiberMain;       // emu_switch's ret enters it with the stack aligned as after a call
    for (int r = 0; r < 6; r++) *--sp = nullptr;
    fiberSp[t] = sp;
}
inline void resume(int t) { emu_switch(&schedulerSp, fiberSp[t]); }
inline void yield() { emu_switch(&fiberSp[linear], schedulerSp); }
#else
inline ucontext_t scheduler;
inline std::vector<ucontext_t> fibers;

inline void startFiber(int t) {
    fibers.resize(std::max(fibers.size(), (size_t) t + 1));
    getcontext(&fibers[t]);
    fibers[t].uc_stack.ss_sp = stacks[t].get();
    fibers[t].uc_stack.ss_size = STACK;
    fibers[t].uc_link = &scheduler;
    makecontext(&fibers[t], fiberMain, 0);
}
inline void resume(int t) { swapcontext(&scheduler, &fibers[t]); }
inline void yield() { swapcontext(&fibers[linear], &scheduler); }
#endif

inline void arrive(Barrier& b) {
    long long mine = b.phase;
    if (++b.arrived == b.alive) {
        b.arrived = 0;
        b.phase++;
        return;
    }
    while (b.phase == mine) yield();
}

inline void leave(Barrier& b) {
    b.alive--;
    if (b.alive > 0 && b.arrived == b.alive) {
        b.arrived = 0;
        b.phase++;
    }
}

inline void fiberMain() {
    (*current)(currentArgs);
    leave(block);
    leave(warps[linear >> 5].bar);
    finished[linear] = 1;
    for (;;) yield();   // never resumed again
}
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

inline void __syncthreads() { emu::arrive(emu::block); }
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
    emu::arrive(w.bar);
    T r;
    memcpy(&r, &w.slot[lane ^ laneMask], sizeof(T));
    emu::arrive(w.bar);
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

// Runs the grid, one block after another on the calling thread. Kernels that never synchronise
// run their threads one after another; the others run each thread as a fiber (with their own stacks), switched
// at every __syncthreads and shuffle, so a block's threads proceed together as on the GPU.
inline void run(const Entry& kernel, dim3 g, dim3 b, void** args) {
    gdim = g;
    bdim = b;
    int nt = (int) (b.x * b.y * b.z), nw = (nt + 31) / 32;
    long long blocks = (long long) g.x * g.y * g.z;
    while (kernel.cooperative && (int) stacks.size() < nt) stacks.emplace_back(new char[STACK]);
    for (long long k = 0; k < blocks; k++) {
        bid = {(unsigned) (k % g.x), (unsigned) ((k / g.x) % g.y), (unsigned) (k / ((long long) g.x * g.y))};
        if (!kernel.cooperative) {
            for (int t = 0; t < nt; t++) {
                linear = t;
                tid = {t % b.x, (t / b.x) % b.y, t / (b.x * b.y)};
                kernel.fn(args);
            }
            continue;
        }
        block = Barrier{nt, 0, 0};
        warps.assign(nw, Warp{});
        for (int w = 0; w < nw; w++) warps[w].bar.alive = std::min(32, nt - 32 * w);
        finished.assign(nt, 0);
        current = &kernel.fn;
        currentArgs = args;
        for (int t = 0; t < nt; t++) startFiber(t);
        for (int left = nt; left > 0;) {
            left = 0;
            for (int t = 0; t < nt; t++) {
                if (finished[t]) continue;
                linear = t;
                tid = {t % b.x, (t / b.x) % b.y, t / (b.x * b.y)};
                resume(t);
                if (!finished[t]) left++;
            }
        }
    }
}
}

const emu::Entry* emu_kernel(const char* name);   // the table after the kernels
