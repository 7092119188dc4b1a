package dev.qlora4j.test;

import dev.qlora4j.model.config.Task;
import dev.qlora4j.model.nn.DecoderLayer;
import dev.qlora4j.model.nn.DenseLinear;
import dev.qlora4j.model.nn.Linear;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.tensor.CrossEntropy;
import dev.qlora4j.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The analytic gradient of the whole model (every kind of weight: embeddings, each norm, every
 * projection and bias, the head) against central finite differences of the loss, on the fixture
 * models with all weights trainable.
 */
class ModelGradientTest {
    static List<Fixture> fixtures() {
        return Fixture.all();
    }

    private static Tensor loss(Transformer model, Fixture f) {
        Tensor ids = f.ints("input_ids"), mask = f.ints("attention_mask");
        if (model.config().task() == Task.SEQUENCE_CLASSIFICATION) {
            Tensor labels = Tensor.ofInts(f.intList(f.reference().get("labels")), ids.size(0));
            return model.classificationLoss(ids, mask, labels, CrossEntropy.Reduction.MEAN);
        }
        return model.causalLmLoss(ids, mask, f.ints("labels"), CrossEntropy.Reduction.MEAN);
    }

    /** One tensor of each kind, by a readable name. */
    private static Map<String, Tensor> weightsOfEveryKind(Transformer model) {
        Map<String, Tensor> w = new LinkedHashMap<>();
        if (model.embeddings().requiresGrad()) w.put("embed_tokens", model.embeddings());
        DecoderLayer last = model.layers().getLast();
        for (Map.Entry<String, Linear> p : last.projections().entrySet()) {
            DenseLinear d = (DenseLinear) p.getValue();
            w.put(p.getKey() + ".weight", d.weight());
            if (d.bias() != null) w.put(p.getKey() + ".bias", d.bias());
        }
        w.put("head", ((DenseLinear) model.head()).weight());
        // norms: whatever 1-D trainable tensors the model lists
        int n = 0;
        for (Tensor t : model.trainableParameters()) if (t.rank() == 1 && t.shape()[0] == model.config().hiddenSize()) w.put("norm#" + n++, t);
        return w;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void analyticGradientsMatchFiniteDifferences(Fixture f) {
        try (Transformer model = Transformer.load(f.model(), true)) {
            Tensor l = loss(model, f);
            l.backward();
            List<String> failures = new ArrayList<>();
            java.util.Random random = new java.util.Random(7);
            for (Map.Entry<String, Tensor> e : weightsOfEveryKind(model).entrySet()) {
                Tensor w = e.getValue();
                float[] grad = w.grad().toFloatArray();
                // directional derivatives: along the gradient (analytic = |g|) and along a random
                // direction (analytic = g·r); a whole-tensor direction sums many entries, so fp32
                // finite differences resolve it even where single entries are tiny
                double norm = 0;
                for (float g : grad) norm += (double) g * g;
                norm = Math.sqrt(norm);
                float[] along = new float[grad.length], random01 = new float[grad.length];
                double rn = 0;
                for (int i = 0; i < grad.length; i++) {
                    along[i] = (float) (grad[i] / norm);
                    random01[i] = (float) random.nextGaussian();
                    rn += (double) random01[i] * random01[i];
                }
                for (int i = 0; i < grad.length; i++) random01[i] /= (float) Math.sqrt(rn);
                for (float[] dir : new float[][]{along, random01}) {
                    double analytic = 0;
                    for (int i = 0; i < grad.length; i++) analytic += (double) grad[i] * dir[i];
                    // a step that moves the loss by ~2e-3: small enough for curvature, large
                    // enough that the loss's fp32 rounding (one ulp) stays a small error
                    float h = (float) Math.min(1e-2, 2e-3 / Math.max(Math.abs(analytic), 1e-12));
                    double numeric = directional(model, f, w, dir, h);
                    double floor = 2 * Math.ulp(l.item()) / h;
                    if (Math.abs(numeric - analytic) > 3e-2 * Math.abs(analytic) + floor)
                        failures.add(e.getKey() + (dir == along ? " along the gradient" : " along a random direction")
                                + ": analytic " + analytic + ", numeric " + numeric);
                }
            }
            assertThat(failures).as(f.name()).isEmpty();
        }
    }

    /** (L(w + h·dir) − L(w − h·dir)) / 2h, restoring w afterwards. */
    private static double directional(Transformer model, Fixture f, Tensor w, float[] dir, float h) {
        float[] values = w.array();
        int off = w.arrayOffset();
        float[] saved = java.util.Arrays.copyOfRange(values, off, off + dir.length);
        try (var ignored = Tensor.noGrad()) {
            for (int i = 0; i < dir.length; i++) values[off + i] = saved[i] + h * dir[i];
            double up = loss(model, f).item();
            for (int i = 0; i < dir.length; i++) values[off + i] = saved[i] - h * dir[i];
            double down = loss(model, f).item();
            return (up - down) / (2 * h);
        } finally {
            System.arraycopy(saved, 0, values, off, dir.length);
        }
    }
}
