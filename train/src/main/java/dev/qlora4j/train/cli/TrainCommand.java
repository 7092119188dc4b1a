package dev.qlora4j.train.cli;

import dev.qlora4j.train.config.ConfigDocs;
import dev.qlora4j.train.config.TrainingConfig;
import dev.qlora4j.train.config.TrainingConfigParser;
import dev.qlora4j.train.dist.Agreement;
import dev.qlora4j.train.dist.Launch;
import dev.qlora4j.train.dist.RankFailure;
import dev.qlora4j.train.dist.World;
import dev.qlora4j.train.trainer.Trainer;
import picocli.CommandLine;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Map;

/**
 * {@code train FILE.json} or {@code train --config FILE.json}, {@code [--set key=value ...]}: fine-tunes a LoRA / QLoRA adapter as
 * HF Trainer would with those TrainingArguments. Ctrl-C saves a checkpoint and stops cleanly.
 */
@CommandLine.Command(name = "train", description = "fine-tune a LoRA/QLoRA adapter from a config of Hugging Face TrainingArguments names")
final class TrainCommand implements Main.Command {
    @CommandLine.Parameters(index = "0", arity = "0..1", paramLabel = "FILE.json", description = "the training config (or --config)")
    String positionalConfig;

    @CommandLine.Option(names = "--config", paramLabel = "FILE.json",
            description = "the training config: TrainingArguments, LoraConfig and BitsAndBytesConfig names")
    String configOption;

    @CommandLine.Option(names = "--set", paramLabel = "KEY=VALUE", description = "override one config key (repeatable)")
    List<String> overrides = new ArrayList<>();

    // Options that print information instead of training are answered at the top of run(): before MPI starts and before
    // configFile() asks for a config.
    @CommandLine.Option(names = "--help-config", description = "list every config key: default, what it accepts, what it does")
    boolean helpConfig;

    /**
     * Under a launcher (mpirun, srun, …) this process is one rank of the run: MPI is started
     * first, the config is parsed and checked on every rank (a mistake is reported once, by rank
     * 0), the ranks compare their config and data, then train together; only rank 0 prints and
     * returns a result.
     */
    @Override
    public Object run(PrintStream out) throws Exception {
        if (helpConfig) {
            out.print(ConfigDocs.text());
            return Map.of("keys", ConfigDocs.keys());
        }
        Map<String, String> env = System.getenv();
        Optional<Launch> launch = Launch.fromEnvironment(env);
        // before any kernel runs: the compute threads of this rank are the cores its launcher gave it
        if (launch.isPresent() && System.getProperty("qlora4j.threads") == null)
            System.setProperty("qlora4j.threads", Integer.toString(launch.get().threads(env, Runtime.getRuntime().availableProcessors(),
                    Launch.onlineCpus())));
        World world = launch.isPresent() ? World.start(launch.get(), env.get("QLORA4J_MPI_LIB")) : World.single();
        try {
            Map<String, Object> result = train(out, world);
            world.close();
            return world.isMain() ? result : null;
        } catch (RankFailure f) {
            throw f;
        } catch (Exception | Error e) {
            if (!world.distributed()) throw e;
            throw RankFailure.fatal(world, e);
        }
    }

    private Map<String, Object> train(PrintStream out, World world) throws Exception {
        Path file = configFile();
        TrainingConfig cfg = Agreement.agree(world, "reading the config", () -> TrainingConfigParser.load(file, overrides));
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
    private Path configFile() {
        if (configOption != null && positionalConfig != null)
            throw new UserError("train takes one config file: train FILE.json or train --config FILE.json (got "
                    + configOption + ", " + positionalConfig + ")");
        if (configOption == null && positionalConfig == null)
            throw new UserError("missing the config file: train FILE.json or train --config FILE.json");
        return Path.of(configOption != null ? configOption : positionalConfig);
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
