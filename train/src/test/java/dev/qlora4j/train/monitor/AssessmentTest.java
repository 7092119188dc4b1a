package dev.qlora4j.train.monitor;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.IntToDoubleFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class AssessmentTest {
    private static final MonitorSettings S = MonitorSettings.DEFAULTS;

    private static List<Double> series(int n, IntToDoubleFunction f) {
        List<Double> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(f.applyAsDouble(i));
        return out;
    }

    /** mean + or − amplitude, alternating: population variance amplitude² for an even count. */
    private static List<Double> alternating(int n, double mean, double amplitude) {
        return series(n, i -> mean + (i % 2 == 0 ? amplitude : -amplitude));
    }

    private static Assessment assess(List<Double> train, List<Double> eval, MonitorSettings s) {
        List<Double> perplexities = eval.stream().map(Math::exp).toList();
        return Assessment.of(1000, train, Collections.nCopies(train.size(), 1.0), eval, perplexities, s);
    }

    @Test
    void aSmallPositiveGapWithLowSimilarVariancesIsBalanced() {
        Assessment a = assess(alternating(30, 1.0, 0.1), alternating(10, 1.2, 0.1), S);
        assertThat(a.state()).isEqualTo(Assessment.State.BALANCED);
        Assessment.Balance b = a.balance().orElseThrow();
        assertThat(b.gap()).isCloseTo(0.2, within(1e-12));
        assertThat(b.trainVariance()).isCloseTo(0.01, within(1e-12));
        assertThat(b.evalVariance()).isCloseTo(0.01, within(1e-12));
        assertThat(b.meanVariance()).isCloseTo(0.01, within(1e-12));
        assertThat(b.varianceRatio()).isCloseTo(1.0, within(1e-9));
        assertThat(a.toJsonMap()).containsEntry("state", "balanced").containsKeys("perplexity_mean", "eval_loss_std",
                "grad_norm_mean", "loss_gap", "train_variance", "eval_variance", "mean_variance", "variance_ratio");
    }

    @Test
    void eachFailingConditionIsNamed() {
        List<Double> train = alternating(10, 1.0, 0.1);
        assertThat(assess(train, alternating(10, 1.05, 0.1), S).state()).isEqualTo(Assessment.State.GAP_BELOW_RANGE);
        assertThat(assess(train, alternating(10, 0.8, 0.1), S).state()).isEqualTo(Assessment.State.GAP_BELOW_RANGE);
        assertThat(assess(train, alternating(10, 1.5, 0.1), S).state()).isEqualTo(Assessment.State.GAP_ABOVE_RANGE);
        // variances 0.16 and 0.16: similar, but their mean is not below 0.1
        assertThat(assess(alternating(10, 1.0, 0.4), alternating(10, 1.2, 0.4), S).state())
                .isEqualTo(Assessment.State.VARIANCE_TOO_HIGH);
        // variances 0.01 and 0.0025: ratio 0.25
        assertThat(assess(train, alternating(10, 1.2, 0.05), S).state()).isEqualTo(Assessment.State.VARIANCES_DISSIMILAR);
        List<Double> diverged = new ArrayList<>(alternating(10, 1.2, 0.1));
        diverged.set(9, Double.NaN);
        assertThat(assess(train, diverged, S).state()).isEqualTo(Assessment.State.NON_FINITE_LOSS);
    }

    @Test
    void tooFewLossesAreNotEnoughHistory() {
        Assessment nineEvals = assess(alternating(30, 1.0, 0.1), alternating(9, 1.2, 0.1), S);
        assertThat(nineEvals.state()).isEqualTo(Assessment.State.NOT_ENOUGH_HISTORY);
        assertThat(nineEvals.balance()).isEmpty();
        assertThat(nineEvals.stability()).isPresent();
        Assessment nineTrain = assess(alternating(9, 1.0, 0.1), alternating(10, 1.2, 0.1), S);
        assertThat(nineTrain.state()).isEqualTo(Assessment.State.NOT_ENOUGH_HISTORY);
        Assessment fourEvals = assess(List.of(), alternating(4, 1.2, 0.1), S);
        assertThat(fourEvals.stability()).isEmpty();
        assertThat(fourEvals.toJsonMap()).containsOnlyKeys("state");
    }

    @Test
    void onlyTheLatestWindowCounts() {
        // ten wild early values, then a balanced stretch: the window sees only the latter
        List<Double> train = new ArrayList<>(series(10, i -> 5.0 + i));
        train.addAll(alternating(10, 1.0, 0.1));
        List<Double> eval = new ArrayList<>(series(10, i -> 9.0 - i));
        eval.addAll(alternating(10, 1.2, 0.1));
        assertThat(assess(train, eval, S).state()).isEqualTo(Assessment.State.BALANCED);
    }

    @Test
    void gapBoundsAreInclusiveAndEqualZeroVariancesCountAsSimilar() {
        MonitorSettings exact = new MonitorSettings(true, 5, 10, 0.25, 0.25, 0.1, 0.7, 5, 100);
        // 0.75 − 0.5 is exactly 0.25 in binary
        Assessment a = assess(Collections.nCopies(10, 0.5), Collections.nCopies(10, 0.75), exact);
        assertThat(a.balance().orElseThrow().gap()).isEqualTo(0.25);
        assertThat(a.balance().orElseThrow().varianceRatio()).isEqualTo(1.0);
        assertThat(a.state()).isEqualTo(Assessment.State.BALANCED);
    }

    @Test
    void stabilityMetricsUseTheLastFiveEvaluationsAndGradNorms() {
        List<Double> eval = List.of(9.0, 9.0, 1.0, 2.0, 3.0, 4.0, 5.0);
        List<Double> ppl = List.of(100.0, 100.0, 2.0, 4.0, 6.0, 8.0, 10.0);
        List<Double> gradNorms = List.of(50.0, 1.0, 2.0, 3.0, 4.0, 5.0);
        Assessment.Stability st = Assessment.of(70, List.of(), gradNorms, eval, ppl, S).stability().orElseThrow();
        assertThat(st.perplexityMean()).isEqualTo(6.0);
        // population standard deviation of 1..5 (numpy's np.std): sqrt(2)
        assertThat(st.evalLossStd()).isCloseTo(Math.sqrt(2), within(1e-15));
        assertThat(st.gradNormMean()).isEqualTo(3.0);
        assertThat(Assessment.of(70, List.of(), List.of(), eval, ppl, S).stability().orElseThrow().gradNormMean()).isNaN();
    }
}
