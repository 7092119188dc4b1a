package dev.qlora4j.bench;

import dev.qlora4j.model.lora.LoraLinear;
import dev.qlora4j.model.nn.DenseLinear;
import dev.qlora4j.model.nn.Linear;
import dev.qlora4j.tensor.Generator;
import dev.qlora4j.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Forward + backward of one 4096×4096 projection over 512 tokens: the frozen bare linear (gradient
 * for the input only) against the same layer with a rank-16 LoRA adapter (gradients for the input,
 * A and B). The goal: the adapter costs under 15 % more. Compare the two scores.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC"})
public class LoraLinearBench {
    @Param({"4096"})
    public int features;

    @Param({"512"})
    public int tokens;

    @Param({"16"})
    public int rank;

    private Linear bare, lora;
    private Tensor x, gradOut;

    @Setup
    public void setup() {
        Generator g = new Generator(1);
        Tensor w = Tensor.randn(g, 0.02f, features, features);
        bare = new DenseLinear(w, null);
        lora = new LoraLinear(bare, Tensor.randn(g, 0.01f, rank, features).requiresGrad(true),
                Tensor.randn(g, 0.01f, features, rank).requiresGrad(true), 2f, 0f, null);
        x = Tensor.randn(g, 1f, tokens, features);
        gradOut = Tensor.randn(g, 1f, tokens, features);
    }

    private Tensor step(Linear layer) {
        Tensor in = x.detach().requiresGrad(true);
        layer.forward(in).backward(gradOut);
        for (Tensor p : layer.trainableParameters()) p.zeroGrad();
        return in.grad();
    }

    @Benchmark
    public Tensor bareLinear() {
        return step(bare);
    }

    @Benchmark
    public Tensor loraLinear() {
        return step(lora);
    }
}
