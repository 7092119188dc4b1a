package dev.qlora4j.train.monitor;

import dev.qlora4j.tensor.BadInputException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Thresholds of the stability {@link Monitor}, defaults from the reference notebooks.
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

    /** The configuration keys, in declaration order. */
    public static final List<String> KEYS = List.of("enabled", "stability_window", "balance_window", "min_gap", "max_gap",
            "max_mean_variance", "min_variance_ratio", "max_stable_checkpoints", "min_steps_between_checkpoints");

    public MonitorSettings {
        if (stabilityWindow < 1 || balanceWindow < 1) throw new IllegalArgumentException("windows must be at least 1");
        if (!(minGap <= maxGap)) throw new IllegalArgumentException("min_gap must not exceed max_gap");
        if (maxStableCheckpoints < 1) throw new IllegalArgumentException("max_stable_checkpoints must be at least 1");
        if (minStepsBetweenCheckpoints < 0) throw new IllegalArgumentException("min_steps_between_checkpoints must not be negative");
        if (!Double.isFinite(maxMeanVariance) || !Double.isFinite(minVarianceRatio))
            throw new IllegalArgumentException("thresholds must be finite");
    }

    /**
     * Settings from a config object ({@code "monitor": {...}}): the keys of {@link #KEYS}, others
     * keep their defaults. Unknown keys and values of the wrong kind are one
     * {@link BadInputException} naming them, e.g. {@code unknown key "window" (run.json: monitor)}.
     */
    public static MonitorSettings fromMap(Map<String, ?> config, String where) {
        List<String> unknown = new ArrayList<>();
        for (String key : config.keySet()) if (!KEYS.contains(key)) unknown.add("\"" + key + "\"");
        if (!unknown.isEmpty()) {
            throw BadInputException.at(where, "unknown key" + (unknown.size() > 1 ? "s " : " ") + String.join(", ", unknown)
                    + "; known: " + String.join(", ", KEYS));
        }
        Map<String, Object> v = new LinkedHashMap<>(config);
        MonitorSettings d = DEFAULTS;
        try {
            return new MonitorSettings(
                    bool(v, "enabled", d.enabled, where),
                    (int) integer(v, "stability_window", d.stabilityWindow, where, 1),
                    (int) integer(v, "balance_window", d.balanceWindow, where, 1),
                    number(v, "min_gap", d.minGap, where),
                    number(v, "max_gap", d.maxGap, where),
                    number(v, "max_mean_variance", d.maxMeanVariance, where),
                    number(v, "min_variance_ratio", d.minVarianceRatio, where),
                    (int) integer(v, "max_stable_checkpoints", d.maxStableCheckpoints, where, 1),
                    integer(v, "min_steps_between_checkpoints", d.minStepsBetweenCheckpoints, where, 0));
        } catch (IllegalArgumentException e) {
            throw BadInputException.at(where, e.getMessage());
        }
    }

    private static boolean bool(Map<String, Object> v, String key, boolean dflt, String where) {
        Object o = v.get(key);
        if (o == null) return dflt;
        if (o instanceof Boolean b) return b;
        throw BadInputException.at(where + "." + key, "\"" + key + "\" must be true or false, got " + describe(o));
    }

    private static double number(Map<String, Object> v, String key, double dflt, String where) {
        Object o = v.get(key);
        if (o == null) return dflt;
        if (o instanceof Number n && Double.isFinite(n.doubleValue())) return n.doubleValue();
        throw BadInputException.at(where + "." + key, "\"" + key + "\" must be a finite number, got " + describe(o));
    }

    private static long integer(Map<String, Object> v, String key, long dflt, String where, long min) {
        Object o = v.get(key);
        if (o == null) return dflt;
        Set<Class<?>> integral = Set.of(Integer.class, Long.class, Short.class, Byte.class);
        if (integral.contains(o.getClass()) || o instanceof java.math.BigInteger b && b.bitLength() < 32) {
            long n = ((Number) o).longValue();
            if (n >= min && n <= Integer.MAX_VALUE) return n;
        }
        throw BadInputException.at(where + "." + key, "\"" + key + "\" must be an integer from " + min + " to "
                + Integer.MAX_VALUE + ", got " + describe(o));
    }

    private static String describe(Object o) {
        String text = String.valueOf(o);
        if (text.length() > 40) text = text.substring(0, 40) + "…";
        return (o instanceof String ? "string \"" + text + "\"" : text).replaceAll("[\\r\\n]", " ");
    }
}
