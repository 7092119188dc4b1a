package dev.qlora4j.train.trainer;

/**
 * Learning-rate schedules of transformers' {@code get_scheduler}: the multiplier of the base rate
 * for optimizer step {@code k} (0-based: the first update uses {@code factor(0)}, which is 0 with
 * warmup, as in HF where the scheduler's initial rate is lambda(0)).
 */
public enum LrSchedule {
    /** get_linear_schedule_with_warmup */
    LINEAR("linear"),
    /** get_cosine_schedule_with_warmup (num_cycles 0.5) */
    COSINE("cosine"),
    /** get_constant_schedule */
    CONSTANT("constant"),
    /** get_constant_schedule_with_warmup */
    CONSTANT_WITH_WARMUP("constant_with_warmup");

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

    /** The factor of the base rate at 0-based optimizer step {@code step} of {@code total}. */
    public double factor(long step, long warmup, long total) {
        if (this != CONSTANT && step < warmup) return (double) step / Math.max(1, warmup);
        return switch (this) {
            case CONSTANT, CONSTANT_WITH_WARMUP -> 1.0;
            case LINEAR -> Math.max(0.0, (double) (total - step) / Math.max(1, total - warmup));
            case COSINE -> {
                double progress = (double) (step - warmup) / Math.max(1, total - warmup);
                yield Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * 0.5 * 2.0 * progress)));
            }
        };
    }
}
