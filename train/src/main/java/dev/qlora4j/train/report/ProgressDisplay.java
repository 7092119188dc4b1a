package dev.qlora4j.train.report;

import java.io.Console;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The trainer's human-facing progress: a live progress bar on a terminal, plain log lines
 * elsewhere (CI, output redirected to a file), where a redrawn bar would be noise. Output goes to
 * the stream given, the command line's human stream (stderr under {@code --json}).
 */
public interface ProgressDisplay extends AutoCloseable {
    enum Mode {
        /** A bar when {@link #isTerminal()}, else plain lines. */
        AUTO, BAR, PLAIN
    }

    static ProgressDisplay create(PrintStream out, Mode mode) {
        boolean bar = switch (mode) {
            case AUTO -> isTerminal();
            case BAR -> true;
            case PLAIN -> false;
        };
        return bar ? new BarProgress(out, 0) : new PlainProgress(out);
    }

    /**
     * Whether the JVM runs attached to an interactive terminal. {@code System.console()} alone no
     * longer says so: since JDK 22 it may return a console for redirected streams too.
     */
    static boolean isTerminal() {
        Console console = System.console();
        return console != null && console.isTerminal();
    }

    /** Training begins (or resumes) at {@code startStep} of {@code maxSteps}. */
    void start(long startStep, long maxSteps);

    /** Called after every optimizer step; moves the bar (plain mode prints nothing). */
    void step(long step);

    /** Called at every logging step. */
    void log(TrainProgress progress);

    /** A line of its own (evaluation results, memory, monitor notes), kept clear of the bar. */
    void message(String line);

    @Override
    void close();

    /** {@code eval step 100 | eval_loss 1.2346 | eval_perplexity 3.4370}: metrics in the map's order. */
    static String metricsLine(String label, long step, Map<String, Double> metrics) {
        StringJoiner line = new StringJoiner(" | ", label + " step " + step + " | ", "");
        line.setEmptyValue(label + " step " + step);
        metrics.forEach((k, v) -> line.add(k + " " + String.format(Locale.ROOT, "%.4f", v)));
        return line.toString();
    }
}
