package dev.qlora4j.train.cli;

import dev.qlora4j.train.config.TrainingConfig;
import dev.qlora4j.train.config.TrainingConfigParser;
import dev.qlora4j.train.dist.Agreement;
import dev.qlora4j.train.dist.Launch;
import dev.qlora4j.train.dist.RankFailure;
import dev.qlora4j.train.dist.World;
import dev.qlora4j.train.trainer.Trainer;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
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

    /**
     * Under a launcher (mpirun, srun, …) this process is one rank of the run: MPI is started
     * first, the config is parsed and checked on every rank (a mistake is reported once, by rank
     * 0), the ranks compare their config and data, then train together; only rank 0 prints and
     * returns a result.
     */
    @Override
    public Object run(Args args, PrintStream out) throws Exception {
        Map<String, String> env = System.getenv();
        Optional<Launch> launch = Launch.fromEnvironment(env);
        // before any kernel runs: the compute threads of this rank are the cores its launcher gave it
        if (launch.isPresent() && System.getProperty("qlora4j.threads") == null)
            System.setProperty("qlora4j.threads", Integer.toString(launch.get().threads(env, Runtime.getRuntime().availableProcessors(),
                    Launch.onlineCpus())));
        World world = launch.isPresent() ? World.start(launch.get(), env.get("QLORA4J_MPI_LIB")) : World.single();
        try {
            Map<String, Object> result = train(args, out, world);
            world.close();
            return world.isMain() ? result : null;
        } catch (RankFailure f) {
            throw f;
        } catch (Exception | Error e) {
            if (!world.distributed()) throw e;
            throw RankFailure.fatal(world, e);
        }
    }

    private Map<String, Object> train(Args args, PrintStream out, World world) throws Exception {
        Path file = configFile(args);
        TrainingConfig cfg = Agreement.agree(world, "reading the config", () -> TrainingConfigParser.load(file, args.all("set")));
        world.timeoutSeconds(cfg.run().ddpTimeout());
        List<Path> data = new ArrayList<>();
        for (String f : new String[]{cfg.data().trainFile(), cfg.data().evalFile()}) if (f != null) data.add(Path.of(f));
        Agreement.sameInputs(world, cfg.resolved(), data);
        Trainer trainer = new Trainer(cfg, out, List.of(), world);
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
