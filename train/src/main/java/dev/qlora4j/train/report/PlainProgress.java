package dev.qlora4j.train.report;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

/**
 * One line per logging step, for logs and CI:
 * {@code step 20/200 | epoch 0.40 | loss 2.3456 | grad_norm 1.2340 | lr 2.000e-04 | tokens/s 1234.5 | elapsed 0:01:23 | eta 0:12:27}.
 * The ETA extrapolates this process's pace (elapsed over the steps done since start) to the steps left.
 */
final class PlainProgress implements ProgressDisplay {
    private final PrintStream out;
    private long startStep;
    private long maxSteps;

    PlainProgress(PrintStream out) {
        this.out = out;
    }

    @Override
    public void start(long startStep, long maxSteps) {
        this.startStep = startStep;
        this.maxSteps = maxSteps;
    }

    @Override
    public void step(long step) {
        // a line per step would drown the log; log() reports at the logging steps
    }

    @Override
    public void log(TrainProgress p) {
        out.println(line(p));
        out.flush();
    }

    String line(TrainProgress p) {
        return String.format(Locale.ROOT,
                "step %d/%d | epoch %.2f | loss %.4f | grad_norm %.4f | lr %.3e | tokens/s %.1f | elapsed %s | eta %s",
                p.step(), maxSteps, p.epoch(), p.loss(), p.gradNorm(), p.learningRate(), p.tokensPerSecond(),
                clock(p.elapsed()), eta(p));
    }

    private String eta(TrainProgress p) {
        long done = p.step() - startStep;
        if (done <= 0) return "?";
        long left = Math.max(0, maxSteps - p.step());
        return clock(Duration.ofNanos((long) ((double) p.elapsed().toNanos() / done * left)));
    }

    /** H:MM:SS, hours unbounded. */
    static String clock(Duration d) {
        long s = Math.max(0, d.toSeconds());
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }

    @Override
    public void message(String line) {
        out.println(line);
        out.flush();
    }

    @Override
    public void close() {
        out.flush();
    }
}
