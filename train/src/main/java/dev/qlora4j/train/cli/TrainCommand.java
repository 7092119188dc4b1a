package dev.qlora4j.train.cli;

import dev.qlora4j.train.config.TrainingConfig;
import dev.qlora4j.train.config.TrainingConfigParser;
import dev.qlora4j.train.trainer.Trainer;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code train FILE.json} or {@code train --config FILE.json}, {@code [--set key=value ...]}: fine-tunes a LoRA / QLoRA adapter as
 * HF Trainer would with those TrainingArguments. Ctrl-C saves a checkpoint and stops cleanly.
 */
final class TrainCommand implements Main.Command {
    @Override
    public String summary() {
        return "fine-tune a LoRA/QLoRA adapter from a config of Hugging Face TrainingArguments names";
    }

    @Override
    public Set<String> flags() {
        return Set.of();
    }

    @Override
    public int maxPositional() {
        return 1;
    }

    @Override
    public Set<String> options() {
        return Set.of("config", "set");
    }

    @Override
    public Object run(Args args, PrintStream out) throws Exception {
        TrainingConfig cfg = TrainingConfigParser.load(configFile(args), args.all("set"));
        Trainer trainer = new Trainer(cfg, out, List.of());
        Object previous = onInterrupt(trainer::requestStop);
        Trainer.Result r;
        try {
            r = trainer.train();
        } finally {
            restore(previous);
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("output_dir", r.outputDir().toString());
        result.put("global_step", r.globalStep());
        result.put("train_loss", Double.isNaN(r.trainLoss()) ? null : r.trainLoss());
        result.put("best_metric", r.bestMetric());
        result.put("best_model_checkpoint", r.bestModelCheckpoint());
        if (r.interrupted()) result.put("interrupted", true);
        if (r.stoppedEarly()) result.put("stopped_early", true);
        return result;
    }

    /** {@code --config FILE} or the one positional argument ({@code train run.json}). */
    private static Path configFile(Args args) {
        List<String> positional = args.positional();
        String option = args.get("config", null);
        if (option != null && !positional.isEmpty())
            throw new UserError("train takes one config file: train FILE.json or train --config FILE.json (got "
                    + option + ", " + positional.getFirst() + ")");
        if (option == null && positional.isEmpty()) throw new UserError("missing the config file: train FILE.json or train --config FILE.json");
        return Path.of(option != null ? option : positional.getFirst());
    }

    /** Ctrl-C (SIGINT) asks the trainer to checkpoint and stop instead of killing the JVM; null where signals are unavailable. */
    @SuppressWarnings("removal")
    private static Object onInterrupt(Runnable action) {
        try {
            return sun.misc.Signal.handle(new sun.misc.Signal("INT"), sig -> action.run());
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            return null;
        }
    }

    @SuppressWarnings("removal")
    private static void restore(Object previous) {
        if (previous instanceof sun.misc.SignalHandler h) sun.misc.Signal.handle(new sun.misc.Signal("INT"), h);
    }
}
