package dev.qlora4j.train.monitor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The {@link Monitor}'s verdict at one evaluation: stability over the latest evaluations, the
 * bias/variance balance of the latest training and evaluation losses, and the resulting state.
 *
 * @param stability absent until {@code stability_window} evaluations exist
 * @param balance   absent until {@code balance_window} training losses and as many evaluation losses exist
 */
public record Assessment(long step, Optional<Stability> stability, Optional<Balance> balance, State state) {
    /** Means and spread over the latest {@code stability_window} values (population standard deviation, as numpy's). */
    public record Stability(double perplexityMean, double evalLossStd, double gradNormMean) {}

    /**
     * Over the latest {@code balance_window} training and evaluation losses: gap = mean eval − mean
     * train (the bias signal), the population variance of each, their mean, and smaller/larger.
     */
    public record Balance(double trainLossMean, double evalLossMean, double gap, double trainVariance,
                          double evalVariance, double meanVariance, double varianceRatio) {}

    /** The first condition that fails, in this order, or BALANCED. */
    public enum State {
        NOT_ENOUGH_HISTORY, NON_FINITE_LOSS, GAP_BELOW_RANGE, GAP_ABOVE_RANGE, VARIANCE_TOO_HIGH, VARIANCES_DISSIMILAR, BALANCED;

        public String jsonName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public boolean balanced() {
        return state == State.BALANCED;
    }

    /**
     * @param trainLosses      every logged training loss so far, oldest first
     * @param gradNorms        every logged gradient norm so far
     * @param evalLosses       every evaluation loss so far, this one last
     * @param evalPerplexities the perplexity of each of those evaluations
     */
    public static Assessment of(long step, List<Double> trainLosses, List<Double> gradNorms, List<Double> evalLosses,
                                List<Double> evalPerplexities, MonitorSettings s) {
        Optional<Stability> stability = Optional.empty();
        if (evalLosses.size() >= s.stabilityWindow()) {
            stability = Optional.of(new Stability(mean(tail(evalPerplexities, s.stabilityWindow())),
                    Math.sqrt(variance(tail(evalLosses, s.stabilityWindow()))),
                    mean(tail(gradNorms, s.stabilityWindow()))));
        }
        Optional<Balance> balance = Optional.empty();
        if (trainLosses.size() >= s.balanceWindow() && evalLosses.size() >= s.balanceWindow()) {
            List<Double> train = tail(trainLosses, s.balanceWindow()), eval = tail(evalLosses, s.balanceWindow());
            double trainVar = variance(train), evalVar = variance(eval);
            double larger = Math.max(trainVar, evalVar);
            // two zero variances are equal ones (the reference notebook's 0/0 gave NaN, never balanced)
            double ratio = larger == 0 ? 1 : Math.min(trainVar, evalVar) / larger;
            balance = Optional.of(new Balance(mean(train), mean(eval), mean(eval) - mean(train), trainVar, evalVar,
                    (trainVar + evalVar) / 2, ratio));
        }
        return new Assessment(step, stability, balance, state(stability, balance, s));
    }

    private static State state(Optional<Stability> stability, Optional<Balance> balance, MonitorSettings s) {
        if (balance.isEmpty()) return State.NOT_ENOUGH_HISTORY;
        Balance b = balance.get();
        if (!Double.isFinite(b.gap()) || !Double.isFinite(b.meanVariance())) return State.NON_FINITE_LOSS;
        if (b.gap() < s.minGap()) return State.GAP_BELOW_RANGE;
        if (b.gap() > s.maxGap()) return State.GAP_ABOVE_RANGE;
        if (!(b.meanVariance() < s.maxMeanVariance())) return State.VARIANCE_TOO_HIGH;
        if (!(b.varianceRatio() > s.minVarianceRatio())) return State.VARIANCES_DISSIMILAR;
        return stability.isPresent() ? State.BALANCED : State.NOT_ENOUGH_HISTORY;
    }

    /** The metrics as stability_metrics.json holds them (the reference notebook's names where it had them). */
    public Map<String, Object> toJsonMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        stability.ifPresent(st -> {
            m.put("perplexity_mean", st.perplexityMean());
            m.put("eval_loss_std", st.evalLossStd());
            m.put("grad_norm_mean", st.gradNormMean());
        });
        balance.ifPresent(b -> {
            m.put("train_loss_mean", b.trainLossMean());
            m.put("eval_loss_mean", b.evalLossMean());
            m.put("loss_gap", b.gap());
            m.put("train_variance", b.trainVariance());
            m.put("eval_variance", b.evalVariance());
            m.put("mean_variance", b.meanVariance());
            m.put("variance_ratio", b.varianceRatio());
        });
        m.put("state", state.jsonName());
        return m;
    }

    /** One log line: {@code monitor step 500 | perplexity mean 3.2100 | ... | state balanced}. */
    public String summary() {
        StringBuilder sb = new StringBuilder("monitor step ").append(step);
        stability.ifPresent(st -> sb.append(String.format(Locale.ROOT,
                " | perplexity mean %.4f | eval_loss std %.4f | grad_norm mean %.4f",
                st.perplexityMean(), st.evalLossStd(), st.gradNormMean())));
        balance.ifPresent(b -> sb.append(String.format(Locale.ROOT,
                " | gap %.4f | variance train %.5f eval %.5f | variance ratio %.3f",
                b.gap(), b.trainVariance(), b.evalVariance(), b.varianceRatio())));
        return sb.append(" | state ").append(state.jsonName()).toString();
    }

    static List<Double> tail(List<Double> values, int n) {
        return values.subList(Math.max(0, values.size() - n), values.size());
    }

    static double mean(List<Double> values) {
        if (values.isEmpty()) return Double.NaN;
        double sum = 0;
        for (double v : values) sum += v;
        return sum / values.size();
    }

    /** Population variance (numpy's default ddof=0), two-pass for accuracy. */
    static double variance(List<Double> values) {
        double m = mean(values), sum = 0;
        for (double v : values) sum += (v - m) * (v - m);
        return sum / values.size();
    }
}
