package dev.qlora4j.train.trainer;

import java.util.List;

/**
 * HF's EarlyStoppingCallback: after each evaluation, the metric counts as an improvement when
 * there is no best yet, or it beats the best so far (greater or lower, as {@code
 * greater_is_better} says) by more than {@code early_stopping_threshold}; otherwise a counter
 * grows, and training stops once it reaches {@code early_stopping_patience}. The best it compares
 * with is the one before this evaluation (HF updates it after the callbacks). Computed from the
 * evaluation history alone, so a resumed run continues the count.
 */
record EarlyStopping(int patience, double threshold, boolean greaterIsBetter) {
    /** Evaluations since the last improvement, after the metric values so far (oldest first). */
    int counter(List<Double> values) {
        Double best = null;
        int counter = 0;
        for (double v : values) {
            if (best == null || (better(v, best) && Math.abs(v - best) > threshold)) counter = 0;
            else counter++;
            if (best == null || better(v, best)) best = v;
        }
        return counter;
    }

    boolean shouldStop(List<Double> values) {
        return counter(values) >= patience;
    }

    private boolean better(double v, double best) {
        return greaterIsBetter ? v > best : v < best;
    }
}
