package dev.qlora4j.train.monitor;

import dev.qlora4j.model.chat.PyJson;
import dev.qlora4j.train.report.AtomicFiles;

import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The built-in stability monitor. At each evaluation it computes an {@link Assessment} from the
 * log history; when the state is balanced and the last stable checkpoint is at least
 * {@code min_steps_between_checkpoints} steps back, it has the trainer's {@link CheckpointSaver}
 * write {@code stable_checkpoint-N/} and adds {@code stability_metrics.json} to it. At most
 * {@code max_stable_checkpoints} are kept (the oldest go). {@code stable_checkpoints_summary.json}
 * in the output folder lists those kept; it is rewritten after each save and when training ends.
 *
 * <p>Stable checkpoints already in the output folder (a resumed run) count from the start.
 */
public final class Monitor implements TrainerCallback {
    public static final String PREFIX = "stable_checkpoint-";
    public static final String METRICS_FILE = "stability_metrics.json";
    public static final String SUMMARY_FILE = "stable_checkpoints_summary.json";

    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS");

    /** One kept stable checkpoint: what its stability_metrics.json says. */
    public record StableCheckpoint(long step, Path path, Map<String, Object> metrics, Map<String, Object> evalMetrics) {}

    private final MonitorSettings settings;
    private final CheckpointSaver saver;
    private final Consumer<String> log;
    private StableCheckpoints kept;
    private Assessment last;

    /** @param log where the per-evaluation line and save notices go (the progress display's messages) */
    public Monitor(MonitorSettings settings, CheckpointSaver saver, Consumer<String> log) {
        this.settings = settings;
        this.saver = saver;
        this.log = log;
    }

    public MonitorSettings settings() {
        return settings;
    }

    /** The latest evaluation's assessment. */
    public Optional<Assessment> lastAssessment() {
        return Optional.ofNullable(last);
    }

    /** Kept stable checkpoints, oldest first. */
    public List<StableCheckpoint> stableCheckpoints() {
        return kept == null ? List.of() : kept.all();
    }

    @Override
    public void onTrainBegin(TrainerState state) throws IOException {
        if (settings.enabled()) load(state);
    }

    @Override
    public void onEvaluate(TrainerState state, Map<String, Double> metrics) throws IOException {
        if (!settings.enabled()) return;
        load(state);
        long step = state.globalStep();
        last = assess(step, state.logHistory(), metrics);
        log.accept(last.summary());
        if (!last.balanced()) return;
        Optional<StableCheckpoint> newest = kept.newest();
        if (newest.isPresent() && step - newest.get().step() < settings.minStepsBetweenCheckpoints()) {
            log.accept("monitor: balanced, but the last stable checkpoint is only " + (step - newest.get().step())
                    + " steps back (minimum " + settings.minStepsBetweenCheckpoints() + ")");
            return;
        }
        if (kept.has(step)) return; // a resumed run re-evaluating a step it already kept
        save(state, step, metrics);
    }

    @Override
    public void onTrainEnd(TrainerState state) throws IOException {
        if (!settings.enabled()) return;
        load(state);
        kept.writeSummary();
    }

    private void load(TrainerState state) throws IOException {
        if (kept == null) kept = StableCheckpoints.scan(state.outputDir(), log);
    }

    /** Evaluations come from the history plus this one, whether or not the trainer logged it before calling. */
    private Assessment assess(long step, List<LogEntry> history, Map<String, Double> metrics) {
        List<Double> trainLosses = new ArrayList<>(), gradNorms = new ArrayList<>();
        List<Double> evalLosses = new ArrayList<>(), perplexities = new ArrayList<>();
        for (LogEntry e : history) {
            if (e.step() > step) continue;
            e.get("loss").ifPresent(trainLosses::add);
            e.get("grad_norm").ifPresent(gradNorms::add);
            if (e.isEval() && e.step() != step) {
                evalLosses.add(e.values().get("eval_loss"));
                perplexities.add(perplexity(e.values()));
            }
        }
        if (metrics.containsKey("eval_loss")) {
            evalLosses.add(metrics.get("eval_loss"));
            perplexities.add(perplexity(metrics));
        }
        return Assessment.of(step, trainLosses, gradNorms, evalLosses, perplexities, settings);
    }

    /** The logged eval_perplexity, or exp(eval_loss) where the task logs none (classification). */
    private static double perplexity(Map<String, Double> metrics) {
        Double p = metrics.get("eval_perplexity");
        return p != null ? p : Math.exp(metrics.get("eval_loss"));
    }

    private void save(TrainerState state, long step, Map<String, Double> metrics) throws IOException {
        Path dir = state.outputDir().resolve(PREFIX + step);
        saver.save(dir);
        Map<String, Object> file = new LinkedHashMap<>();
        file.put("step", step);
        file.put("metrics", last.toJsonMap());
        file.put("eval_metrics", new LinkedHashMap<String, Object>(metrics));
        file.put("timestamp", LocalDateTime.now(ZoneId.systemDefault()).format(TIMESTAMP));
        AtomicFiles.writeString(dir.resolve(METRICS_FILE), new PyJson("  ", null, false, true).write(file));
        kept.add(new StableCheckpoint(step, dir, last.toJsonMap(), new LinkedHashMap<>(metrics)));
        log.accept("monitor: saved " + dir.getFileName() + " (" + kept.all().size() + " kept)");
        for (StableCheckpoint removed : kept.trimTo(settings.maxStableCheckpoints())) {
            log.accept("monitor: removed " + removed.path().getFileName() + " (keeping " + settings.maxStableCheckpoints() + ")");
        }
        kept.writeSummary();
    }
}
