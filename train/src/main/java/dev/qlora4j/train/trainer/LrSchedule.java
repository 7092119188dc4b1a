package dev.qlora4j.train.trainer;

import java.util.List;

/**
 * Learning-rate schedules of transformers' {@code get_scheduler}: the multiplier of the base rate
 * for optimizer step {@code k} (0-based: the first update uses {@code factor(0)}, which is 0 with
 * warmup, as in HF where the scheduler's initial rate is lambda(0)). Every schedule but
 * {@code constant} starts with a linear warmup; the knobs HF takes in {@code lr_scheduler_kwargs}
 * are {@link Args}.
 */
public enum LrSchedule {
    /** get_linear_schedule_with_warmup */
    LINEAR("linear"),
    /** get_cosine_schedule_with_warmup (num_cycles, default 0.5: one half cosine down to 0) */
    COSINE("cosine"),
    /** get_cosine_with_hard_restarts_schedule_with_warmup (num_cycles, default 1) */
    COSINE_WITH_RESTARTS("cosine_with_restarts"),
    /** get_polynomial_decay_schedule_with_warmup (lr_end, default 1e-7; power, default 1) */
    POLYNOMIAL("polynomial"),
    /** get_constant_schedule */
    CONSTANT("constant"),
    /** get_constant_schedule_with_warmup */
    CONSTANT_WITH_WARMUP("constant_with_warmup"),
    /** get_inverse_sqrt_schedule (timescale, default the warmup steps or 10,000) */
    INVERSE_SQRT("inverse_sqrt"),
    /** get_cosine_with_min_lr_schedule_with_warmup (min_lr or min_lr_rate, one of them required; num_cycles) */
    COSINE_WITH_MIN_LR("cosine_with_min_lr");

    /**
     * {@code lr_scheduler_kwargs}; null fields take the schedule's default.
     *
     * @param minLrRate the floor as a share of the base rate ({@code min_lr} is turned into it)
     */
    public record Args(Double numCycles, Double power, Double lrEnd, Double timescale, Double minLrRate) {
        public static final Args DEFAULTS = new Args(null, null, null, null, null);
    }

    private final String hfName;

    LrSchedule(String hfName) {
        this.hfName = hfName;
    }

    public String hfName() {
        return hfName;
    }

    public static LrSchedule of(String name) {
        for (LrSchedule s : values()) if (s.hfName.equals(name)) return s;
        return null;
    }

    /** The names, for messages. */
    public static List<String> names() {
        return java.util.Arrays.stream(values()).map(LrSchedule::hfName).toList();
    }

    /** The {@code lr_scheduler_kwargs} keys this schedule takes. */
    public List<String> kwargs() {
        return switch (this) {
            case COSINE, COSINE_WITH_RESTARTS -> List.of("num_cycles");
            case POLYNOMIAL -> List.of("lr_end", "power");
            case INVERSE_SQRT -> List.of("timescale");
            case COSINE_WITH_MIN_LR -> List.of("num_cycles", "min_lr", "min_lr_rate");
            default -> List.of();
        };
    }

    /** The factor of the base rate at 0-based optimizer step {@code step} of {@code total}, with default arguments. */
    public double factor(long step, long warmup, long total) {
        return factor(step, warmup, total, Args.DEFAULTS, 1.0);
    }

    /** @param baseLr the base rate (polynomial decays to lr_end in absolute terms) */
    public double factor(long step, long warmup, long total, Args a, double baseLr) {
        if (this != CONSTANT && step < warmup) return (double) step / Math.max(1, warmup);
        double progress = (double) (step - warmup) / Math.max(1, total - warmup);
        return switch (this) {
            case CONSTANT, CONSTANT_WITH_WARMUP -> 1.0;
            case LINEAR -> Math.max(0.0, (double) (total - step) / Math.max(1, total - warmup));
            case COSINE -> Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * or(a.numCycles(), 0.5) * 2.0 * progress)));
            case COSINE_WITH_RESTARTS -> progress >= 1.0 ? 0.0
                    : Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * ((or(a.numCycles(), 1.0) * progress) % 1.0))));
            case POLYNOMIAL -> {
                double lrEnd = or(a.lrEnd(), 1e-7);
                if (step > total) yield lrEnd / baseLr;
                double remaining = 1.0 - (double) (step - warmup) / (total - warmup);
                yield ((baseLr - lrEnd) * Math.pow(remaining, or(a.power(), 1.0)) + lrEnd) / baseLr;
            }
            case INVERSE_SQRT -> {
                double timescale = a.timescale() != null ? a.timescale() : warmup > 0 ? warmup : 10_000;
                yield 1.0 / Math.sqrt((step + timescale - warmup) / timescale);
            }
            case COSINE_WITH_MIN_LR -> {
                double f = 0.5 * (1.0 + Math.cos(Math.PI * or(a.numCycles(), 0.5) * 2.0 * progress));
                double rate = or(a.minLrRate(), 0.0);
                yield Math.max(0.0, f * (1 - rate) + rate);
            }
        };
    }

    private static double or(Double v, double dflt) {
        return v == null ? dflt : v;
    }
}
