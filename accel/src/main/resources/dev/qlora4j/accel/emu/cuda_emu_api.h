// The exported driver-API and cuBLAS subset of the emulator (after the kernels and their table).
typedef int CUresult;
static std::mutex emu_lock;
static std::map<unsigned long long, size_t> emu_allocations;
static size_t emu_allocated = 0;
static const size_t EMU_TOTAL = 8ull << 30;

extern "C" {
CUresult cuInit(unsigned int) { return 0; }
CUresult cuDriverGetVersion(int* v) { *v = 13000; return 0; }
CUresult cuDeviceGetCount(int* c) { *c = 1; return 0; }
CUresult cuDeviceGet(int* d, int ordinal) { if (ordinal != 0) return 101; *d = 0; return 0; }
CUresult cuDeviceGetName(char* name, int len, int) { snprintf(name, len, "CPU emulator"); return 0; }
CUresult cuDeviceGetAttribute(int* v, int attr, int) {
    *v = attr == 75 ? 9 : attr == 76 ? 0 : attr == 16 ? 2 : 0;   // compute capability 9.0, 2 SMs
    return 0;
}
CUresult cuDevicePrimaryCtxRetain(void** ctx, int) { *ctx = (void*) 1; return 0; }
CUresult cuDevicePrimaryCtxRelease_v2(int) { return 0; }
CUresult cuCtxSetCurrent(void*) { return 0; }
CUresult cuCtxSynchronize() { return 0; }
CUresult cuStreamCreate(void** s, unsigned int) { *s = (void*) 3; return 0; }
CUresult cuStreamDestroy_v2(void*) { return 0; }
CUresult cuStreamSynchronize(void*) { return 0; }
CUresult cuStreamQuery(void*) { return 0; }
CUresult cuMemAlloc_v2(unsigned long long* p, size_t n) {
    std::lock_guard<std::mutex> g(emu_lock);
    if (n == 0) return 1;
    if (emu_allocated + n > EMU_TOTAL) return 2;
    void* m = aligned_alloc(256, (n + 255) / 256 * 256);
    if (!m) return 2;
    *p = (unsigned long long) m;
    emu_allocations[*p] = n;
    emu_allocated += n;
    return 0;
}
CUresult cuMemFree_v2(unsigned long long p) {
    std::lock_guard<std::mutex> g(emu_lock);
    auto it = emu_allocations.find(p);
    if (it == emu_allocations.end()) return 1;
    emu_allocated -= it->second;
    emu_allocations.erase(it);
    free((void*) p);
    return 0;
}
CUresult cuMemGetInfo_v2(size_t* freeBytes, size_t* total) {
    std::lock_guard<std::mutex> g(emu_lock);
    *freeBytes = EMU_TOTAL - emu_allocated;
    *total = EMU_TOTAL;
    return 0;
}
CUresult cuMemcpyHtoD_v2(unsigned long long dst, const void* src, size_t n) { memcpy((void*) dst, src, n); return 0; }
CUresult cuMemcpyDtoH_v2(void* dst, unsigned long long src, size_t n) { memcpy(dst, (const void*) src, n); return 0; }
// the emulator runs everything when it is queued, so the stream order is kept trivially
CUresult cuMemcpyDtoDAsync_v2(unsigned long long dst, unsigned long long src, size_t n, void*) { memmove((void*) dst, (const void*) src, n); return 0; }
CUresult cuMemsetD8Async(unsigned long long dst, unsigned char v, size_t n, void*) { memset((void*) dst, v, n); return 0; }
// the image is ignored: the kernels are compiled into this library
CUresult cuModuleLoadData(void** m, const void*) { *m = (void*) 2; return 0; }
CUresult cuModuleUnload(void*) { return 0; }
CUresult cuModuleGetFunction(void** f, void*, const char* name) {
    const emu::Entry* e = emu_kernel(name);
    if (!e) return 500;
    *f = (void*) e;
    return 0;
}
CUresult cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, unsigned shared,
                        void*, void** params, void**) {
    if (bx * by * bz == 0 || bx * by * bz > 1024 || gx * gy * gz == 0 || shared > 0) return 1;
    emu::run(*(const emu::Entry*) f, {gx, gy, gz}, {bx, by, bz}, params);
    return 0;
}
CUresult cuGetErrorName(CUresult e, const char** s) {
    switch (e) {
        case 0: *s = "CUDA_SUCCESS"; return 0;
        case 1: *s = "CUDA_ERROR_INVALID_VALUE"; return 0;
        case 2: *s = "CUDA_ERROR_OUT_OF_MEMORY"; return 0;
        case 101: *s = "CUDA_ERROR_INVALID_DEVICE"; return 0;
        case 500: *s = "CUDA_ERROR_NOT_FOUND"; return 0;
        default: *s = nullptr; return 1;
    }
}

// cuBLAS: column-major C = α·op(A)·op(B) + β·C, fp32 or bf16 (14) storage, fp32 accumulation
int cublasCreate_v2(void** h) { *h = (void*) 4; return 0; }
int cublasDestroy_v2(void*) { return 0; }
int cublasSetStream_v2(void*, void*) { return 0; }
static float emu_load(const void* p, int type, long long i) {
    return type == 14 ? bf2f(((const bf16*) p)[i]) : ((const float*) p)[i];
}
int cublasGemmStridedBatchedEx(void*, int ta, int tb, int m, int n, int k, const void* alpha, const void* A, int at, int lda,
                               long long sa, const void* B, int bt, int ldb, long long sb, const void* beta, void* C, int ct,
                               int ldc, long long sc, int batch, int compute, int) {
    if ((at != 0 && at != 14) || (bt != 0 && bt != 14) || (ct != 0 && ct != 14) || compute != 68) return 15;   // CUBLAS_STATUS_NOT_SUPPORTED
    // cuBLAS's argument checks: each leading dimension covers its stored matrix's rows
    if (m < 0 || n < 0 || k < 0 || batch < 0 || lda < std::max(1, ta ? k : m) || ldb < std::max(1, tb ? n : k) || ldc < std::max(1, m))
        return 7;   // CUBLAS_STATUS_INVALID_VALUE
    float al = *(const float*) alpha, be = *(const float*) beta;
    for (int q = 0; q < batch; q++)
        for (int j = 0; j < n; j++)
            for (int i = 0; i < m; i++) {
                float acc = 0.f;
                for (int l = 0; l < k; l++) {
                    float a = emu_load(A, at, q * sa + (ta ? l + (long long) i * lda : i + (long long) l * lda));
                    float b = emu_load(B, bt, q * sb + (tb ? j + (long long) l * ldb : l + (long long) j * ldb));
                    acc += a * b;
                }
                long long ci = q * sc + i + (long long) j * ldc;
                float v = al * acc + (be != 0.f ? be * emu_load(C, ct, ci) : 0.f);
                if (ct == 14) ((bf16*) C)[ci] = f2bf(v); else ((float*) C)[ci] = v;
            }
    return 0;
}
int cublasGemmEx(void* h, int ta, int tb, int m, int n, int k, const void* alpha, const void* A, int at, int lda, const void* B,
                 int bt, int ldb, const void* beta, void* C, int ct, int ldc, int compute, int algo) {
    return cublasGemmStridedBatchedEx(h, ta, tb, m, n, k, alpha, A, at, lda, 0, B, bt, ldb, 0, beta, C, ct, ldc, 0, 1, compute, algo);
}
}

// ---- NCCL over MPI: device memory is host memory here, so an all-reduce of device buffers is
// MPI_Allreduce on the same pointers, through the MPI library the JVM has already opened
// RTLD_GLOBAL (Open MPI's ABI: handles are addresses; MPICH's: int constants). For tests of the
// multi-GPU path with mpirun and no GPU. Only float32 sums, what the trainer asks for.
#include <dlfcn.h>
#include <unistd.h>
struct ncclUniqueId { char internal[128]; };
struct EmuNcclComm { int nranks, rank; };
static int emu_nccl_mpi(const void* send, void* recv, int count) {
    static void* allreduce = dlsym(RTLD_DEFAULT, "MPI_Allreduce");
    static void* world = dlsym(RTLD_DEFAULT, "ompi_mpi_comm_world");
    if (!allreduce) return 2;   // ncclSystemError: no MPI in this process
    if (world) {
        typedef int (*fn)(const void*, void*, int, void*, void*, void*);
        return ((fn) allreduce)(send, recv, count, dlsym(RTLD_DEFAULT, "ompi_mpi_float"), dlsym(RTLD_DEFAULT, "ompi_mpi_op_sum"), world);
    }
    typedef int (*fn)(const void*, void*, int, int, int, int);
    return ((fn) allreduce)(send, recv, count, 0x4c00040a, 0x58000003, 0x44000000);
}
extern "C" {
int ncclGetUniqueId(ncclUniqueId* id) {
    memset(id->internal, 0, sizeof id->internal);
    snprintf(id->internal, sizeof id->internal, "qlora4j-emu-%d", (int) getpid());
    return 0;
}
int ncclCommInitRank(void** comm, int nranks, ncclUniqueId id, int rank) {
    if (nranks < 1 || rank < 0 || rank >= nranks || strncmp(id.internal, "qlora4j-emu-", 12) != 0) return 4;   // ncclInvalidArgument
    *comm = new EmuNcclComm{nranks, rank};
    return 0;
}
int ncclAllReduce(const void* send, void* recv, size_t count, int datatype, int op, void* comm, void*) {
    if (datatype != 7 || op != 0 || !comm || count > 0x7fffffff) return 4;
    if (send == recv) {
        std::vector<float> copy((const float*) send, (const float*) send + count);
        return emu_nccl_mpi(copy.data(), recv, (int) count) == 0 ? 0 : 2;
    }
    return emu_nccl_mpi(send, recv, (int) count) == 0 ? 0 : 2;
}
int ncclCommGetAsyncError(void*, int* result) { *result = 0; return 0; }
int ncclCommAbort(void* comm) { delete (EmuNcclComm*) comm; return 0; }
int ncclCommDestroy(void* comm) { delete (EmuNcclComm*) comm; return 0; }
const char* ncclGetErrorString(int result) {
    return result == 0 ? "no error" : result == 2 ? "system error (the emulator's NCCL needs MPI in the process)" : "invalid argument";
}
}
