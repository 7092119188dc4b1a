package dev.qlora4j.train.trainer;

/** The run's learning-rate schedule: a type and its arguments, the base rate, warmup and total optimizer steps. */
record Schedule(LrSchedule type, LrSchedule.Args args, double baseLr, long warmup, long total) {
    /** The rate optimizer step {@code step} (0-based) applies. */
    double lr(long step) {
        return baseLr * type.factor(step, warmup, total, args, baseLr);
    }

    /** HF's get_warmup_steps: warmup_steps when given (a value below 1 is a ratio, as transformers 5 reads it), else ⌈ratio · total⌉. */
    static long warmupSteps(double warmupSteps, double warmupRatio, long total) {
        if (warmupSteps >= 1) return (long) warmupSteps;
        if (warmupSteps > 0) return (long) Math.ceil(warmupSteps * total);
        return (long) Math.ceil(warmupRatio * total);
    }
}
