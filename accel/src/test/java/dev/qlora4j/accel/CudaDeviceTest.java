package dev.qlora4j.accel;

import dev.qlora4j.tensor.DType;
import dev.qlora4j.tensor.Generator;
import dev.qlora4j.tensor.Precision;
import dev.qlora4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The device itself: copies, launches and their errors, GEMM layouts, the caching allocator. */
@Timeout(120)
class CudaDeviceTest {
    @ParameterizedTest
    @MethodSource("dev.qlora4j.accel.TestDevices#kinds")
    void copiesRoundTripAndCastsRoundToNearestEven(String kind) {
        try (CudaDevice d = TestDevices.open(kind)) {
            assertThat(d.computeCapability()).isGreaterThanOrEqualTo(80);
            float[] x = {0f, 1f, -2.5f, 1.00390625f, 1.01171875f, 3.4e38f, Float.NaN, Float.NEGATIVE_INFINITY, 1e-40f, 0.1f};
            DeviceBuffer in = d.upload(x), bf = d.allocate(2L * x.length), back = d.allocate(4L * x.length);
            d.launch("cast_f32_bf16", 1, 32, in, bf, (long) x.length);
            d.launch("cast_bf16_f32", 1, 32, bf, back, (long) x.length);
            short[] bits = d.downloadShorts(bf, x.length);
            float[] widened = d.downloadFloats(back, x.length);
            for (int i = 0; i < x.length; i++) {
                assertThat(bits[i]).as("bf16 of %s", x[i]).isEqualTo(Precision.floatToBf16(x[i]));
                assertThat(Float.floatToRawIntBits(widened[i])).isEqualTo(Float.floatToRawIntBits(Precision.bf16ToFloat(bits[i])));
            }
            assertThat(d.downloadFloats(in, x.length)).isEqualTo(x);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.qlora4j.accel.TestDevices#kinds")
    void launchErrorsNameTheKernel(String kind) {
        try (CudaDevice d = TestDevices.open(kind)) {
            assertThatThrownBy(() -> d.launch("no_such_kernel", 1, 32))
                    .isInstanceOf(CudaException.class).hasMessageContaining("no_such_kernel").hasMessageContaining("CUDA_ERROR_NOT_FOUND");
            DeviceBuffer b = d.allocate(16);
            assertThatThrownBy(() -> d.launch("cast_f32_bf16", 1, 2048, b, b, 1L))
                    .isInstanceOf(CudaException.class).hasMessageContaining("cast_f32_bf16").hasMessageContaining("block 2048");
            assertThatThrownBy(() -> d.launch("cast_f32_bf16", 1, 32, b, "x", 1L))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("argument 1");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.qlora4j.accel.TestDevices#kinds")
    void theDeviceBelongsToTheThreadThatOpenedIt(String kind) throws Exception {
        try (CudaDevice d = TestDevices.open(kind); var pool = Executors.newSingleThreadExecutor()) {
            Future<?> other = pool.submit(() -> d.allocate(64));
            assertThatThrownBy(other::get).hasCauseInstanceOf(IllegalStateException.class).hasMessageContaining("belongs to thread");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.qlora4j.accel.TestDevices#kinds")
    void matmulMatchesTheCpuInEveryLayout(String kind) {
        Generator gen = new Generator(7);
        int m = 5, n = 7, k = 9;
        Tensor a = Tensor.randn(gen, 1f, m, k), b = Tensor.randn(gen, 1f, k, n), c0 = Tensor.randn(gen, 1f, m, n);
        try (CudaDevice d = TestDevices.open(kind)) {
            for (boolean ta : new boolean[]{false, true})
                for (boolean tb : new boolean[]{false, true}) {
                    Tensor as = ta ? a.t().contiguous() : a, bs = tb ? b.t().contiguous() : b;
                    DeviceBuffer da = d.upload(as.toFloatArray()), db = d.upload(bs.toFloatArray()), dc = d.upload(c0.toFloatArray());
                    d.matmul(ta, tb, m, n, k, 0.5f, da, DType.F32, db, DType.F32, 2f, dc, DType.F32);
                    float[] want = a.matmul(b).mul(0.5f).add(c0.mul(2f)).toFloatArray(), got = d.downloadFloats(dc, m * n);
                    for (int i = 0; i < want.length; i++)
                        assertThat(got[i]).as("ta=%s tb=%s [%d]", ta, tb, i).isCloseTo(want[i], within(2e-5f * (1 + Math.abs(want[i]))));
                }
            // bf16 operands and output, batched: products of bf16 values accumulated in fp32, rounded once
            short[] ab = bf16(a.toFloatArray()), bb = bf16(b.toFloatArray());
            DeviceBuffer da = d.allocate(4L * ab.length), db = d.allocate(4L * bb.length), dc = d.allocate(2L * 2 * m * n);
            d.upload(java.lang.foreign.MemorySegment.ofArray(ab), da, 0);
            d.upload(java.lang.foreign.MemorySegment.ofArray(ab), da, 2L * ab.length);
            d.upload(java.lang.foreign.MemorySegment.ofArray(bb), db, 0);
            d.upload(java.lang.foreign.MemorySegment.ofArray(bb), db, 2L * bb.length);
            d.batchedMatmul(false, false, m, n, k, 1f, da, DType.BF16, (long) m * k, db, DType.BF16, (long) k * n, 0f, dc, DType.BF16,
                    (long) m * n, 2);
            float[] want = Tensor.of(widen(ab), m, k).matmul(Tensor.of(widen(bb), k, n)).toFloatArray();
            short[] got = d.downloadShorts(dc, 2 * m * n);
            for (int i = 0; i < 2 * m * n; i++) {
                float w = want[i % (m * n)];
                assertThat(Precision.bf16ToFloat(got[i])).as("[%d]", i).isCloseTo(w, within(Math.abs(w) / 128 + 1e-4f));
            }
        }
    }

    @Test
    void profilingCountsEveryLaunchAndGemmByName() {
        try (CudaDevice d = TestDevices.open(TestDevices.EMULATOR)) {
            assertThat(d.profile()).isEmpty();
            d.setProfiling(true);
            DeviceBuffer x = d.upload(new float[64]), y = d.allocate(128), c = d.allocate(4 * 64);
            d.launch("cast_f32_bf16", 1, 32, x, y, 64L);
            d.launch("cast_f32_bf16", 1, 32, x, y, 64L);
            d.matmul(false, true, 8, 8, 8, 1f, x, DType.F32, x, DType.F32, 0f, c, DType.F32);
            assertThat(d.profile().get("cast_f32_bf16")[0]).isEqualTo(2);
            assertThat(d.profile()).containsKey("gemm NT 8x8x8 F32·F32→F32");
            d.setProfiling(false);
            assertThat(d.profile()).isEmpty();
        }
    }

    @Test
    void gemmArgumentsCuBlasWouldRefuseAreRefusedByTheEmulatorToo() {
        try (CudaDevice d = TestDevices.open(TestDevices.EMULATOR)) {
            DeviceBuffer x = d.allocate(4096);
            // a leading dimension smaller than the stored matrix's rows: CUBLAS_STATUS_INVALID_VALUE, named
            assertThatThrownBy(() -> d.cublasForTest().gemm(false, false, 4, 4, 4, 1f, x.address(), Cublas.R_32F, 2, 0, x.address(),
                    Cublas.R_32F, 4, 0, 0f, x.address(), Cublas.R_32F, 4, 0, 1))
                    .isInstanceOf(CudaException.class).hasMessageContaining("CUBLAS_STATUS_INVALID_VALUE");
        }
    }

    @Test
    void theAllocatorReusesBucketsAndGivesBackTheCacheWhenTheDeviceIsFull() {
        try (CudaDevice d = TestDevices.open(TestDevices.EMULATOR)) {
            CachingAllocator a = d.allocator();
            assertThat(CachingAllocator.bucket(1)).isEqualTo(512);
            assertThat(CachingAllocator.bucket(513)).isEqualTo(1024);
            assertThat(CachingAllocator.bucket((1 << 20) + 1)).isEqualTo(2L << 20);
            DeviceBuffer x = d.allocate(1000);
            long address = x.address();
            d.free(x);
            assertThat(a.allocatedBytes()).isZero();
            assertThat(a.reservedBytes()).isEqualTo(1024);
            assertThat(d.allocate(600).address()).as("same bucket, same block").isEqualTo(address);
            assertThatThrownBy(() -> d.free(new DeviceBuffer(12345, 8))).hasMessageContaining("not in use");
            // the emulator holds 8 GiB: 5 GiB cached + 4 GiB asked only fits once the cache is given back
            // (its pages are never touched, so the host commits nothing)
            DeviceBuffer big = d.allocate(5L << 30);
            d.free(big);
            DeviceBuffer other = d.allocate(4L << 30);
            assertThat(a.reservedBytes()).isLessThan(5L << 30);
            assertThat(a.peakReservedBytes()).isGreaterThanOrEqualTo(5L << 30);
            assertThatThrownBy(() -> d.allocate(6L << 30)).isInstanceOf(CudaOutOfMemoryException.class).hasMessageContaining("out of GPU memory");
            d.free(other);
            d.allocator().emptyCache();
            assertThat(a.reservedBytes()).isEqualTo(1024);
        }
    }

    static short[] bf16(float[] x) {
        short[] s = new short[x.length];
        for (int i = 0; i < x.length; i++) s[i] = Precision.floatToBf16(x[i]);
        return s;
    }

    static float[] widen(short[] s) {
        float[] x = new float[s.length];
        for (int i = 0; i < s.length; i++) x[i] = Precision.bf16ToFloat(s[i]);
        return x;
    }
}
