package dev.qlora4j.accel;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * cuBLAS GEMMs (cublasGemmStridedBatchedEx): fp32 or bf16 operands, fp32 accumulation
 * (CUBLAS_COMPUTE_32F), column-major as cuBLAS is; {@link CudaDevice#matmul} maps row-major
 * products onto it.
 */
final class Cublas {
    static final int R_32F = 0, R_16BF = 14, COMPUTE_32F = 68, GEMM_DEFAULT = -1, OP_N = 0, OP_T = 1;

    private final MethodHandle create, destroy, setStream, gemm;
    private final MemorySegment handle, alpha, beta;

    Cublas(Native.Library lib, MemorySegment stream, Arena arena) {
        create = lib.bind("cublasCreate_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        destroy = lib.bind("cublasDestroy_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        setStream = lib.bind("cublasSetStream_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        gemm = lib.bind("cublasGemmStridedBatchedEx", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT,
                JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT));
        MemorySegment h = arena.allocate(ADDRESS);
        check(CudaDriver.call("cublasCreate", () -> (int) create.invokeExact(h)), "cublasCreate");
        handle = h.get(ADDRESS, 0);
        check(CudaDriver.call("cublasSetStream", () -> (int) setStream.invokeExact(handle, stream)), "cublasSetStream");
        alpha = arena.allocate(JAVA_FLOAT);
        beta = arena.allocate(JAVA_FLOAT);
    }

    /** Column-major C = α·op(A)·op(B) + β·C for each of {@code batch} matrices (strides in elements). */
    void gemm(boolean transA, boolean transB, int m, int n, int k, float a, long A, int aType, int lda, long strideA,
              long B, int bType, int ldb, long strideB, float b, long C, int cType, int ldc, long strideC, int batch) {
        alpha.set(JAVA_FLOAT, 0, a);   // host pointer mode: read during the call
        beta.set(JAVA_FLOAT, 0, b);
        int opA = transA ? OP_T : OP_N, opB = transB ? OP_T : OP_N;
        int rc = CudaDriver.call("cublasGemmStridedBatchedEx", () -> (int) gemm.invokeExact(handle, opA, opB, m, n, k, alpha, A,
                aType, lda, strideA, B, bType, ldb, strideB, beta, C, cType, ldc, strideC, batch, COMPUTE_32F, GEMM_DEFAULT));
        if (rc != 0)
            throw new CudaException("cublasGemmStridedBatchedEx(" + m + "x" + n + "x" + k + ", batch " + batch + ") failed: " + status(rc));
    }

    void close() {
        CudaDriver.call("cublasDestroy", () -> (int) destroy.invokeExact(handle));
    }

    static String status(int rc) {
        return switch (rc) {
            case 1 -> "CUBLAS_STATUS_NOT_INITIALIZED";
            case 3 -> "CUBLAS_STATUS_ALLOC_FAILED";
            case 7 -> "CUBLAS_STATUS_INVALID_VALUE";
            case 8 -> "CUBLAS_STATUS_ARCH_MISMATCH";
            case 13 -> "CUBLAS_STATUS_EXECUTION_FAILED";
            case 14 -> "CUBLAS_STATUS_INTERNAL_ERROR";
            case 15 -> "CUBLAS_STATUS_NOT_SUPPORTED";
            default -> "cublasStatus " + rc;
        };
    }

    private static void check(int rc, String call) {
        if (rc != 0) throw new CudaException(call + " failed: " + status(rc));
    }
}
