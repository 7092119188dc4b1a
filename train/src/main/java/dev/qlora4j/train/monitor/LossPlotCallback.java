package dev.qlora4j.train.monitor;

import dev.qlora4j.train.report.LossPlot;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Redraws {@code loss.png} from the log history after each evaluation and when training ends. */
public final class LossPlotCallback implements TrainerCallback {
    private final Path png;

    public LossPlotCallback(Path png) {
        this.png = png;
    }

    @Override
    public void onEvaluate(TrainerState state, Map<String, Double> metrics) throws IOException {
        write(state.logHistory());
    }

    @Override
    public void onTrainEnd(TrainerState state) throws IOException {
        write(state.logHistory());
    }

    /** Train points from the {@code loss} of training logs, eval points from {@code eval_loss}. */
    public void write(List<LogEntry> history) throws IOException {
        List<LossPlot.Point> train = new ArrayList<>(), eval = new ArrayList<>();
        for (LogEntry e : history) {
            e.get("loss").ifPresent(v -> train.add(new LossPlot.Point(e.step(), v)));
            e.get("eval_loss").ifPresent(v -> eval.add(new LossPlot.Point(e.step(), v)));
        }
        LossPlot.write(png, train, eval);
    }
}
