package dev.qlora4j.examples;

import dev.qlora4j.tensor.Generator;
import dev.qlora4j.tensor.MatMul;
import dev.qlora4j.tensor.Tensor;

import java.util.Arrays;

/** The tensor engine on its own: a linear layer forward and backward, then one gradient step evaluated without a graph. */
public final class TensorEngine {
    public static void main(String[] args) {
        Generator gen = new Generator(0);
        Tensor w = Tensor.randn(gen, 0.02f, 64, 32).requiresGrad(true);   // [out, in]
        Tensor x = Tensor.randn(gen, 1f, 8, 32);                          // [batch, in]
        Tensor loss = MatMul.linear(x, w, null).silu().square().mean();
        loss.backward();                                                  // w.grad() is [64, 32]
        System.out.printf("loss %.6f, w.grad() %s%n", loss.item(), Arrays.toString(w.grad().shape()));
        try (var ignored = Tensor.noGrad()) {                             // evaluation without a graph
            Tensor stepped = w.sub(w.grad().mul(10f));
            System.out.printf("after one gradient step: loss %.6f%n", MatMul.linear(x, stepped, null).silu().square().mean().item());
        }
    }
}
