package dev.qlora4j.train.monitor;

/**
 * Thresholds of the stability {@link Monitor}, defaults from the reference notebooks. Read from the
 * {@code monitor} block of a training config (declared in {@code ConfigKeys}).
 *
 * @param enabled                    off: the monitor does nothing and writes nothing
 * @param stabilityWindow            evaluations the stability metrics average over (5)
 * @param balanceWindow              latest training losses and latest evaluation losses the gap and variances use (10)
 * @param minGap                     smallest balanced gap, mean eval loss − mean train loss (0.1)
 * @param maxGap                     largest balanced gap (0.3)
 * @param maxMeanVariance            balanced only below this mean of the two variances (0.1)
 * @param minVarianceRatio           balanced only above this smaller/larger variance ratio (0.7)
 * @param maxStableCheckpoints       stable checkpoints kept; the oldest beyond go (5)
 * @param minStepsBetweenCheckpoints steps from one stable checkpoint to the next, at least (100)
 */
public record MonitorSettings(boolean enabled, int stabilityWindow, int balanceWindow, double minGap, double maxGap,
                             double maxMeanVariance, double minVarianceRatio, int maxStableCheckpoints,
                             long minStepsBetweenCheckpoints) {
    public static final MonitorSettings DEFAULTS = new MonitorSettings(true, 5, 10, 0.1, 0.3, 0.1, 0.7, 5, 100);

    public MonitorSettings {
        if (stabilityWindow < 1 || balanceWindow < 1) throw new IllegalArgumentException("windows must be at least 1");
        if (!(minGap <= maxGap)) throw new IllegalArgumentException("min_gap must not exceed max_gap");
        if (maxStableCheckpoints < 1) throw new IllegalArgumentException("max_stable_checkpoints must be at least 1");
        if (minStepsBetweenCheckpoints < 0) throw new IllegalArgumentException("min_steps_between_checkpoints must not be negative");
        if (!Double.isFinite(maxMeanVariance) || !Double.isFinite(minVarianceRatio))
            throw new IllegalArgumentException("thresholds must be finite");
    }
}
