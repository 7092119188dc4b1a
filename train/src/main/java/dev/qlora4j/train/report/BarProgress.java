package dev.qlora4j.train.report;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

/**
 * A terminal progress bar (me.tongfei:progressbar): step/total, percentage, elapsed and ETA drawn
 * by the library, and the last logged loss, learning rate and tokens/s as its message.
 */
final class BarProgress implements ProgressDisplay {
    // ANSI: return to column 0 and erase the line, so a message replaces the bar, which redraws below it
    private static final String CLEAR_LINE = "\r\u001b[2K";

    private final PrintStream out;
    private final int width;
    private ProgressBar bar;
    private EndingConsumer consumer;

    /**
     * Knows whether the library ended the bar's line. progressbar 0.10.1 skips that when a bar is
     * closed before its first scheduled refresh has run (the closing refresh is then taken as the
     * first and only draws), which left the next output on the bar's line.
     */
    private static final class EndingConsumer extends ConsoleProgressBarConsumer {
        private volatile boolean ended;

        EndingConsumer(PrintStream out, int width) {
            super(out, width);
        }

        EndingConsumer(PrintStream out) {
            super(out);
        }

        @Override
        public void close() {
            if (ended) return;
            ended = true;
            super.close();
        }
    }

    /** @param width characters the bar may use; 0 asks the terminal */
    BarProgress(PrintStream out, int width) {
        this.out = out;
        this.width = width;
    }

    @Override
    public void start(long startStep, long maxSteps) {
        if (bar != null) {
            bar.close();
            endLine();
        }
        consumer = width > 0 ? new EndingConsumer(out, width) : new EndingConsumer(out);
        bar = new ProgressBarBuilder()
                .setTaskName("train")
                .setInitialMax(maxSteps)
                .startsFrom(startStep, Duration.ZERO)
                .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK)
                .setUpdateIntervalMillis(500)
                .setConsumer(consumer)
                .build();
    }

    @Override
    public void step(long step) {
        if (bar != null) bar.stepTo(step);
    }

    @Override
    public void log(TrainProgress p) {
        if (bar == null) return;
        bar.stepTo(p.step());
        bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f lr %.2e tok/s %.0f", p.loss(), p.learningRate(),
                p.tokensPerSecond()));
    }

    @Override
    public void message(String line) {
        out.print(CLEAR_LINE + line + System.lineSeparator());
        out.flush();
        if (bar != null) bar.refresh();
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            endLine();
        }
        bar = null;
        out.flush();
    }

    private void endLine() {
        consumer.close();   // a no-op when the library has ended the line itself
    }
}
