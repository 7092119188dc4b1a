package dev.qlora4j.tensor;

import org.junit.jupiter.api.Test;

import java.util.function.DoubleUnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GatedActivationTest {
    private final Generator g = new Generator(77);

    private static double gelu(double x) {
        return 0.5 * x * (1 + dev.qlora4j.tensor.cpu.Activations.erf(x / Math.sqrt(2)));
    }

    private static double geluTanh(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    private void check(GatedActivation.Kind kind, DoubleUnaryOperator act, Tensor gate, Tensor up) {
        GradCheck.check(new Tensor[]{gate, up}, t -> GatedActivation.apply(kind, t[0], t[1]), x -> {
            double[] out = new double[x[0].length];
            for (int i = 0; i < out.length; i++) out[i] = act.applyAsDouble(x[0][i]) * x[1][i];
            return out;
        });
    }

    @Test
    void everyKindAgainstTheReference() {
        DoubleUnaryOperator silu = x -> x / (1 + Math.exp(-x));
        // 37 elements: a vector body and a scalar tail
        check(GatedActivation.Kind.SILU, silu, GradCheck.param(g, 37), GradCheck.param(g, 37));
        check(GatedActivation.Kind.GELU, GatedActivationTest::gelu, GradCheck.param(g, 5, 7), GradCheck.strided(g, 5, 7));
        check(GatedActivation.Kind.GELU_TANH, GatedActivationTest::geluTanh, GradCheck.strided(g, 3, 13), GradCheck.param(g, 3, 13));
        check(GatedActivation.Kind.SILU, silu, GradCheck.spaced(g, 4, 9), GradCheck.strided(g, 4, 9));
    }

    @Test
    void equalsTheUnfusedOpsExactly() {
        // forward and both gradients bit for bit as gate.silu().mul(up), so fusing changes no result
        Tensor gate = GradCheck.param(g, 3, 50), up = GradCheck.param(g, 3, 50), w = Tensor.randn(g, 1f, 3, 50);
        Tensor fused = GatedActivation.apply(GatedActivation.Kind.SILU, gate, up);
        fused.mul(w).sum().backward();
        float[] dGate = gate.grad().toFloatArray(), dUp = up.grad().toFloatArray();
        gate.zeroGrad();
        up.zeroGrad();
        Tensor plain = gate.silu().mul(up);
        plain.mul(w).sum().backward();
        assertThat(fused.toFloatArray()).containsExactly(plain.toFloatArray());
        assertThat(dGate).containsExactly(gate.grad().toFloatArray());
        assertThat(dUp).containsExactly(up.grad().toFloatArray());
    }

    @Test
    void shapesMustMatch() {
        assertThatThrownBy(() -> GatedActivation.apply(GatedActivation.Kind.SILU, Tensor.zeros(2, 3), Tensor.zeros(3)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("differ in shape");
    }
}
