package dev.qlora4j.bench;

import dev.qlora4j.tensor.DType;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.tensor.cpu.Gemm;
import dev.qlora4j.tensor.cpu.Nf4Gemm;
import dev.qlora4j.tensor.quant.Nf4Quantizer;
import dev.qlora4j.tensor.quant.Nf4Weight;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The projection of a 4-bit model, y = x·Wᵀ with x [m, k] and W [n, k], as an NF4 weight
 * (double-quantized, bf16 source, dequantized while packing) and as an F32 weight of the same
 * shape (the baseline), and the input gradient g·W. One operation = 2·m·n·k flops; teardown
 * prints GFLOP/s of each so the two rates can be compared directly (goal: NF4 ≥ 0.8 × F32).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC"})
public class Nf4MatmulBench {
    @Param({"512"})
    public int m;
    @Param({"4096"})
    public int n;
    @Param({"4096"})
    public int k;

    private float[] x, g, dense, y, dx;
    private Nf4Weight nf4;
    private long calls, nanos;

    @Setup
    public void setup() {
        SplittableRandom random = new SplittableRandom(7);
        x = new float[m * k];
        g = new float[m * n];
        for (int i = 0; i < x.length; i++) x[i] = (float) (random.nextDouble() * 2 - 1);
        for (int i = 0; i < g.length; i++) g[i] = (float) (random.nextDouble() * 2 - 1);
        float[] w = new float[n * k];
        for (int i = 0; i < w.length; i++) w[i] = (float) (random.nextGaussian() * 0.02);
        nf4 = Nf4Quantizer.quantize(Tensor.of(w, n, k).to(DType.BF16), 64, true, "w");
        dense = Nf4Quantizer.dequantizeF32(nf4);
        y = new float[m * n];
        dx = new float[m * k];
    }

    @Setup(Level.Iteration)
    public void startIteration() {
        calls = 0;
        nanos = System.nanoTime();
    }

    @TearDown(Level.Iteration)
    public void report() {
        double seconds = (System.nanoTime() - nanos) * 1e-9;
        System.out.printf("  [%.1f GFLOP/s]%n", 2.0 * m * n * k * calls / seconds * 1e-9);
    }

    /** Baseline: the F32 GEMM with the dequantized weight, transposed like a linear layer's. */
    @Benchmark
    public float[] f32Forward() {
        Gemm.sgemm(false, true, m, n, k, 1f, x, 0, k, dense, 0, k, 0f, y, 0, n);
        calls++;
        return y;
    }

    @Benchmark
    public float[] nf4Forward() {
        Nf4Gemm.gemm(true, m, n, k, 1f, x, 0, k, nf4, 0f, y, 0, n);
        calls++;
        return y;
    }

    @Benchmark
    public float[] f32InputGradient() {
        Gemm.sgemm(false, false, m, k, n, 1f, g, 0, n, dense, 0, k, 0f, dx, 0, k);
        calls++;
        return dx;
    }

    @Benchmark
    public float[] nf4InputGradient() {
        Nf4Gemm.gemm(false, m, k, n, 1f, g, 0, n, nf4, 0f, dx, 0, k);
        calls++;
        return dx;
    }
}
