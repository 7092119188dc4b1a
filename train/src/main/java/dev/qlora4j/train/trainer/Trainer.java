package dev.qlora4j.train.trainer;

import dev.qlora4j.train.config.Modes;
import dev.qlora4j.model.config.Task;
import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.tensor.CrossEntropy;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.train.compute.Compute;
import dev.qlora4j.train.config.Modes.Device;
import dev.qlora4j.train.config.TrainingConfig;
import dev.qlora4j.train.data.BatchPlan;
import dev.qlora4j.train.data.Collator;
import dev.qlora4j.train.data.Packing;
import dev.qlora4j.train.data.MicroBatch;
import dev.qlora4j.train.data.PaddedBatch;
import dev.qlora4j.train.dist.Agreement;
import dev.qlora4j.train.dist.World;
import dev.qlora4j.train.monitor.CallbackList;
import dev.qlora4j.train.monitor.LogEntry;
import dev.qlora4j.train.monitor.LossPlotCallback;
import dev.qlora4j.train.monitor.Monitor;
import dev.qlora4j.train.monitor.MonitorSettings;
import dev.qlora4j.train.monitor.TensorBoardCallback;
import dev.qlora4j.train.monitor.TrainerCallback;
import dev.qlora4j.train.report.MemoryMonitor;
import dev.qlora4j.train.report.ProgressDisplay;
import dev.qlora4j.train.report.TensorBoardWriter;
import dev.qlora4j.train.report.TrainProgress;
import dev.qlora4j.train.report.TrainingMetrics;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * HF Trainer's loop for LoRA / QLoRA: optimizer steps of {@code gradient_accumulation_steps}
 * micro-batches whose summed token losses are divided by the label tokens of the whole step (a
 * classifier averages its micro-batches' mean losses), the global gradient norm logged before
 * clipping, AdamW or 8-bit AdamW at the schedule's rate, then — as HF orders them — logging,
 * evaluation and saving. Checkpoints hold everything needed to resume bit for bit.
 */
public final class Trainer {
    /** What {@code train} reports (the CLI's --json result). */
    public record Result(Path outputDir, long globalStep, double trainLoss, Double bestMetric, String bestModelCheckpoint,
                         boolean alreadyFinished, boolean interrupted, boolean stoppedEarly) {}

    private final TrainingConfig cfg;
    private final PrintStream out;
    private final List<TrainerCallback> extraCallbacks;
    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private final World world;

    public Trainer(TrainingConfig cfg, PrintStream out, List<TrainerCallback> callbacks) {
        this(cfg, out, callbacks, World.single());
    }

    /**
     * A run on one rank of {@code world}: every rank trains on its share of each global batch;
     * only rank 0 writes files and prints ({@code out} is ignored on the others).
     */
    public Trainer(TrainingConfig cfg, PrintStream out, List<TrainerCallback> callbacks, World world) {
        this.cfg = cfg;
        this.world = world;
        this.out = world.isMain() ? out : new PrintStream(OutputStream.nullOutputStream());
        this.extraCallbacks = world.isMain() ? List.copyOf(callbacks) : List.of();
    }

    /** Asks the loop to save a checkpoint after the current step and stop (Ctrl-C). */
    public void requestStop() {
        stopRequested.set(true);
    }

    public Result train() throws IOException {
        Path outputDir = Path.of(cfg.saving().outputDir());
        // the model's config.json against the config before anything is written (every rank reads it)
        Agreement.agree(world, "reading the model's config.json", () -> TrainingSetup.preflight(cfg));
        // rank 0 prepares the output folder and picks the checkpoint; every rank then loads (a failure on any is agreed on)
        Path resume = Agreement.agree(world, "the output folder", () -> {
            if (!world.isMain()) return null;
            prepareOutputDir(outputDir);
            return resumeCheckpoint(outputDir);
        });
        if (world.distributed()) {
            byte[] chosen = world.broadcast(resume == null ? new byte[0] : resume.toString().getBytes(StandardCharsets.UTF_8),
                    "the checkpoint to resume from");
            resume = chosen.length == 0 ? null : Path.of(new String(chosen, StandardCharsets.UTF_8));
        }
        Path resumeFrom = resume;
        TrainingSetup setup = Agreement.agree(world, "loading", () -> {
            if (resumeFrom != null) DataParallel.checkResume(resumeFrom, cfg, world);
            return TrainingSetup.create(cfg, resumeFrom);
        });
        RunState state = resume != null ? RunState.read(resume, outputDir) : new RunState(outputDir);
        try (setup.model) {
            int ranks = world.size(), accumulation = cfg.batching().gradientAccumulationSteps() * ranks;   // micro-batches of a global step
            BatchPlan plan = setup.data.trainPlan(cfg.batching().perDeviceTrainBatchSize(),
                    cfg.data().groupByLength() ? cfg.batching().perDeviceTrainBatchSize() * accumulation : 0, cfg.data().dataloaderDropLast());
            if (setup.data.train().isEmpty()) throw BadInputException.at(cfg.data().trainFile(), "no training examples");
            long stepsPerEpoch = plan.optimizerStepsPerEpoch(accumulation);
            long total = cfg.batching().maxSteps() > 0 ? cfg.batching().maxSteps() : (long) Math.ceil(cfg.batching().numTrainEpochs() * stepsPerEpoch);
            Schedule schedule = new Schedule(cfg.schedule().type(), cfg.schedule().kwargs(), cfg.optimizer().learningRate(),
                    Schedule.warmupSteps(cfg.schedule().warmupSteps(), cfg.schedule().warmupRatio(), total), total);
            state.maxSteps = total;
            state.numTrainEpochs = cfg.batching().maxSteps() > 0 ? Math.ceil((double) total / stepsPerEpoch) : cfg.batching().numTrainEpochs();
            // HF: an interval below 1 is a share of the run's steps, resolved here and kept in trainer_state.json
            state.loggingSteps = Math.toIntExact(TrainingConfig.steps(cfg.logging().steps(), total));
            state.evalSteps = Math.toIntExact(TrainingConfig.steps(cfg.evaluation().steps(), total));
            state.saveSteps = Math.toIntExact(TrainingConfig.steps(cfg.saving().steps(), total));
            if (cfg.evaluation().loadBestModelAtEnd() && cfg.saving().strategy() == Modes.SaveStrategy.STEPS && cfg.evaluation().strategy() == Modes.IntervalStrategy.STEPS
                    && state.saveSteps % state.evalSteps != 0)
                throw BadInputException.at("save_steps", "resolves to " + state.saveSteps + " steps, not a multiple of eval_steps' "
                        + state.evalSteps + " (load_best_model_at_end needs a save at every evaluation it may pick)");
            state.trainBatchSize = cfg.batching().perDeviceTrainBatchSize();
            if (resume != null) {
                if (state.globalStep >= total) {
                    out.println("training already finished: " + resume + " is at step " + state.globalStep + " of " + total);
                    return new Result(outputDir, state.globalStep, meanTrainLoss(state), state.bestMetric, state.bestModelCheckpoint, true, false,
                            false);
                }
                CheckpointContents.restore(resume, setup.optimizer, setup.lora.trainableParameters(), setup.dropoutRng, state.globalStep, out);
                out.println("resuming from " + resume + " at step " + state.globalStep + " of " + total);
            }
            setup.data.report().lines().forEach(out::println);
            if (cfg.data().paddingFree()) out.println(Packing.describe(setup.data.train(), cfg.data().packing() ? cfg.data().packingStrategy() : null,
                    cfg.data().maxLength()));
            if (world.distributed())
                out.println("data parallel: " + world.describe() + "; global batch " + cfg.batching().perDeviceTrainBatchSize() * accumulation + " = "
                        + cfg.batching().perDeviceTrainBatchSize() + " per device × " + cfg.batching().gradientAccumulationSteps() + " accumulation × " + ranks + " ranks");
            try (Loop loop = new Loop(setup, plan, schedule, state, stepsPerEpoch)) {
                return loop.run();
            }
        }
    }

    private static void prepareOutputDir(Path outputDir) {
        if (Files.exists(outputDir) && !Files.isDirectory(outputDir))
            throw BadInputException.at("output_dir", outputDir + " is a file, not a folder");
        try {
            Files.createDirectories(outputDir);
        } catch (IOException e) {
            throw BadInputException.at("output_dir", "cannot create the folder " + outputDir + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null || e.getMessage().equals(outputDir.toString()) ? "" : ": " + e.getMessage()) + ")");
        }
        if (!Files.isWritable(outputDir)) throw BadInputException.at("output_dir", "the folder " + outputDir + " is not writable");
    }

    private Path resumeCheckpoint(Path outputDir) throws IOException {
        String r = cfg.saving().resumeFromCheckpoint();
        if (r == null) return null;
        if (r.equals("latest")) {
            Path latest = Checkpoints.latest(outputDir);
            if (latest == null) out.println("resume_from_checkpoint: no checkpoint in " + outputDir + " yet, starting fresh");
            return latest;
        }
        Path p = Path.of(r);
        if (!Files.isRegularFile(p.resolve(RunState.FILE)))
            throw BadInputException.at("resume_from_checkpoint", "not a checkpoint folder (no " + RunState.FILE + "): " + p);
        return p;
    }

    static double meanTrainLoss(RunState state) {
        double sum = 0;
        int n = 0;
        for (LogEntry e : state.logHistory)
            if (e.isTrain()) {
                sum += e.values().get("loss");
                n++;
            }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** One run of the loop, from the state's step to the end (or a stop request). */
    private final class Loop implements AutoCloseable {
        final TrainingSetup s;
        final BatchPlan plan;
        final Schedule schedule;
        final RunState state;
        final long stepsPerEpoch;
        final Collator collator;
        final Path outputDir;
        final CallbackList callbacks;
        final Compute compute;
        final MemoryMonitor memory;
        final boolean causal;
        double windowLoss;
        long allReduceNanos;
        long windowSteps, windowTokens, sessionTokens, sessionSamples, sessionSteps;

        Loop(TrainingSetup s, BatchPlan plan, Schedule schedule, RunState state, long stepsPerEpoch) throws IOException {
            this.s = s;
            this.plan = plan;
            this.schedule = schedule;
            this.state = state;
            this.stepsPerEpoch = stepsPerEpoch;
            // the GPU's attention is dense per row: packs go one to a row there, all in one row on the CPU
            this.collator = cfg.run().device() == Modes.Device.CUDA ? s.data.collator().rowPerPack() : s.data.collator();
            this.outputDir = state.outputDir;
            this.causal = s.data.task() == Task.CAUSAL_LM;
            try {
                this.compute = Compute.of(cfg.run().device(), s.model, s.lora, world);
            } catch (Compute.DeviceUnavailable e) {
                throw BadInputException.at("device", "cuda: " + e.getMessage());
            }
            try {
                this.memory = new MemoryMonitor(compute.probes());
                if (cfg.run().device() == Device.CUDA) out.println("device: " + compute.describe());
                List<TrainerCallback> cbs = new ArrayList<>();
                if (world.isMain()) {   // the other ranks write nothing: no TensorBoard, plot or monitor files
                    if (cfg.logging().reportsTo("tensorboard"))
                        cbs.add(new TensorBoardCallback(new TensorBoardWriter(outputDir.resolve("runs")), memory));
                    // a jlinked runtime without java.desktop (the GPU machine's) cannot draw: say so once instead of failing the run
                    if (ModuleLayer.boot().findModule("java.desktop").isPresent()) cbs.add(new LossPlotCallback(outputDir.resolve("loss.png")));
                    else out.println("loss.png not drawn: this Java runtime has no java.desktop module");
                    MonitorSettings monitor = cfg.monitor();
                    if (monitor.enabled() && cfg.evaluation().enabled())
                        cbs.add(new Monitor(monitor, dir -> {
                            Files.createDirectories(dir);
                            CheckpointContents.write(dir, s.lora, s.optimizer, schedule, s.dropoutRng, state, cfg, world.size());
                        }, out::println));
                }
                cbs.addAll(extraCallbacks);
                callbacks = new CallbackList(cbs);
            } catch (IOException | RuntimeException e) {
                compute.close();   // a GPU's memory and context, if it was opened
                throw e;
            }
        }

        @Override
        public void close() {
            compute.close();
        }

        /** The best-model metric of every evaluation so far, oldest first. */
        List<Double> metricHistory() {
            List<Double> values = new ArrayList<>();
            for (LogEntry e : state.logHistory) {
                if (!e.isEval() || e.step() == 0) continue;   // eval_on_start's: HF's best metric ignores it too
                Double v = metricOf(e.values());
                if (v != null && !v.isNaN()) values.add(v);
            }
            return values;
        }

        Result run() throws IOException {
            long start = System.nanoTime();
            boolean stoppedEarly = false;
            EarlyStopping earlyStopping = cfg.evaluation().earlyStoppingPatience() == null ? null
                    : new EarlyStopping(cfg.evaluation().earlyStoppingPatience(), cfg.evaluation().earlyStoppingThreshold(), cfg.evaluation().greaterIsBetter());
            callbacks.onTrainBegin(state);
            boolean interrupted = false;
            try (ProgressDisplay progress = ProgressDisplay.create(out, ProgressDisplay.Mode.AUTO)) {
                progress.start(state.globalStep, state.maxSteps);
                // HF's eval_on_start: logged at step 0, not a candidate for the best model (there is no checkpoint-0)
                if (cfg.evaluation().onStart() && state.globalStep == 0) evaluate(progress, false);
                while (state.globalStep < state.maxSteps) {
                    double[] lossAndNorm = step(state.globalStep);
                    boolean stop = lossAndNorm[2] > 0;   // asked on any rank (Ctrl-C), so every rank stops at the same step
                    double lr = schedule.lr(state.globalStep);
                    s.optimizer.step((float) lr);
                    s.optimizer.zeroGrad();
                    compute.parametersChanged();
                    state.globalStep++;
                    state.epoch = (double) state.globalStep / stepsPerEpoch;
                    windowLoss += lossAndNorm[0];
                    windowSteps++;
                    sessionSteps++;
                    progress.step(state.globalStep);
                    boolean epochEnd = state.globalStep % stepsPerEpoch == 0;
                    boolean logNow = switch (cfg.logging().strategy()) {
                        case STEPS -> state.globalStep % state.loggingSteps == 0;
                        case EPOCH -> epochEnd;
                        case NO -> false;
                    };
                    if (logNow || cfg.logging().firstStep() && state.globalStep == 1 || state.globalStep == state.maxSteps)
                        log(lossAndNorm[1], lr, start, progress);
                    Map<String, Double> metrics = null;
                    if (cfg.evaluation().strategy() == Modes.IntervalStrategy.STEPS && state.globalStep % state.evalSteps == 0
                            || cfg.evaluation().strategy() == Modes.IntervalStrategy.EPOCH && epochEnd)
                        metrics = evaluate(progress);
                    boolean save = cfg.saving().strategy() == Modes.SaveStrategy.STEPS && state.globalStep % state.saveSteps == 0
                            || cfg.saving().strategy() == Modes.SaveStrategy.EPOCH && epochEnd
                            || cfg.saving().strategy() == Modes.SaveStrategy.BEST && metrics != null && state.bestGlobalStep != null
                            && state.bestGlobalStep == state.globalStep;
                    if (stop) save = true;
                    if (save) saveCheckpoint();
                    callbacks.onStepEnd(state);
                    if (metrics != null && earlyStopping != null && earlyStopping.shouldStop(metricHistory())) {
                        stoppedEarly = true;
                        progress.message("early stopping at step " + state.globalStep + ": eval_" + cfg.evaluation().metricForBestModel()
                                + " has not improved for " + cfg.evaluation().earlyStoppingPatience() + " evaluations");
                        break;
                    }
                    if (stop) {
                        interrupted = true;
                        progress.message("stopped at step " + state.globalStep + "; checkpoint saved, resume with resume_from_checkpoint=true");
                        break;
                    }
                }
            }
            finish(start, interrupted);
            return new Result(outputDir, state.globalStep, meanTrainLoss(state), state.bestMetric, state.bestModelCheckpoint, false,
                    interrupted, stoppedEarly);
        }

        /** The GPU's dropout masks for micro-batch i of a step: fixed by the seed and the position, so a resumed run draws the same. */
        long dropoutSeed(long step, int micro) {
            return cfg.run().seed() * 0x9E3779B97F4A7C15L ^ (step << 16 | micro);
        }

        /**
         * Forward and backward of one optimizer step's micro-batches: {loss, gradient norm before
         * clipping, stop requested}. With several ranks the step's micro-batches are those of the
         * global batch, rank r taking every size-th from the r-th (accelerate's batch sharding);
         * the loss is normalised over the whole global batch (the label tokens of every rank's
         * micro-batches, which every rank counts itself since all read the same data; a
         * classifier: the global number of micro-batches), and the gradients and statistics are
         * summed over the ranks once per step, so the step equals the one-process step with
         * gradient_accumulation_steps × ranks.
         */
        double[] step(long step) {
            List<MicroBatch> micro = plan.optimizerStep(step, cfg.batching().gradientAccumulationSteps() * world.size());
            long labelTokens = 0;
            double samples = 0;
            List<PaddedBatch> batches = new ArrayList<>();
            List<Integer> globalIndex = new ArrayList<>();
            for (int i = 0; i < micro.size(); i++) {
                boolean mine = i % world.size() == world.rank();
                if (!mine && !causal) continue;
                PaddedBatch b = collator.collate(micro.get(i).examples());
                labelTokens += b.labelTokens();
                if (!mine) continue;
                batches.add(b);
                globalIndex.add(i);
                samples += micro.get(i).examples().size();   // a padding-free batch of packs is one row of several packs
            }
            double loss = 0, tokens = 0;
            for (int j = 0; j < batches.size(); j++) {
                PaddedBatch b = batches.get(j);
                long seed = dropoutSeed(step, globalIndex.get(j));
                s.dropoutRng.reseed(seed);   // the CPU's dropout masks: fixed by the micro-batch's place in the global step, like the GPU's
                // the loss over the tokens of the whole accumulated batch (transformers ≥ 4.46), a classifier's mean per micro-batch
                loss += causal ? compute.lossAndBackward(b, CrossEntropy.Reduction.SUM, Math.max(1, labelTokens), seed)
                        : compute.lossAndBackward(b, CrossEntropy.Reduction.MEAN, micro.size(), seed);
                for (int v : b.attentionMask().toIntArray()) tokens += v;
            }
            boolean reduced = compute.gradientsReady();
            double[] stats = {loss, tokens, samples, stopRequested.get() ? 1 : 0};
            if (world.distributed()) {
                long t0 = System.nanoTime();
                if (!reduced) DataParallel.allReduceGradients(world, s.lora.trainableParameters(), "the gradients of step " + (step + 1));
                world.allReduceSum(stats, "the statistics of step " + (step + 1));
                allReduceNanos += System.nanoTime() - t0;
            }
            windowTokens += (long) stats[1];
            sessionTokens += (long) stats[1];
            state.numInputTokensSeen += (long) stats[1];
            sessionSamples += (long) stats[2];
            double norm = GradientClipping.clip(s.lora.trainableParameters(), cfg.optimizer().maxGradNorm());
            return new double[]{stats[0], norm, stats[3]};
        }

        void log(double gradNorm, double lr, long start, ProgressDisplay progress) throws IOException {
            double loss = windowLoss / Math.max(1, windowSteps);
            LogEntry entry = LogEntry.train(state.globalStep, state.epoch, loss, gradNorm, lr);
            state.logHistory.add(entry);
            callbacks.onLog(state, entry);
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            double tokensPerSecond = sessionTokens / Math.max(1e-9, elapsed.toNanos() / 1e9);
            progress.log(new TrainProgress(state.globalStep, state.epoch, loss, gradNorm, lr, tokensPerSecond, elapsed));
            progress.message(memory.sample().summary());
            windowLoss = 0;
            windowSteps = 0;
        }

        Map<String, Double> evaluate(ProgressDisplay progress) throws IOException {
            return evaluate(progress, true);
        }

        Map<String, Double> evaluate(ProgressDisplay progress, boolean candidate) throws IOException {
            if (s.data.eval().isEmpty()) return null;
            s.lora.setTraining(false);
            Map<String, Double> metrics = Evaluation.run(compute, s.model.config().task(), s.data.eval(), collator, cfg.batching().perDeviceEvalBatchSize(),
                    world);
            s.lora.setTraining(true);
            LogEntry entry = new LogEntry(state.globalStep, state.epoch, metrics);
            state.logHistory.add(entry);
            Double value = metricOf(metrics);
            if (candidate && value != null && !value.isNaN() && (state.bestMetric == null
                    || (cfg.evaluation().greaterIsBetter() ? value > state.bestMetric : value < state.bestMetric))) {
                state.bestMetric = value;
                state.bestGlobalStep = state.globalStep;
            }
            callbacks.onLog(state, entry);
            callbacks.onEvaluate(state, metrics);
            progress.message(dev.qlora4j.train.report.ProgressDisplay.metricsLine("eval", state.globalStep, metrics));
            return metrics;
        }

        /** The best-model metric in an evaluation's values (perplexity from eval_loss when it is not logged). */
        Double metricOf(Map<String, Double> metrics) {
            Double value = metrics.get("eval_" + cfg.evaluation().metricForBestModel().configName());
            if (value == null && cfg.evaluation().metricForBestModel() == Modes.BestMetric.PERPLEXITY && metrics.containsKey("eval_loss"))
                value = Math.exp(metrics.get("eval_loss"));
            return value;
        }

        void saveCheckpoint() throws IOException {
            String name = Checkpoints.PREFIX + state.globalStep;
            if (state.bestGlobalStep != null) {
                Path best = outputDir.resolve(Checkpoints.PREFIX + state.bestGlobalStep);
                if (state.bestGlobalStep == state.globalStep || Files.isDirectory(best)) state.bestModelCheckpoint = best.toString();
            }
            // every rank must hold the same adapter and optimizer state; a difference would be a bug, found here
            if (world.distributed()) DataParallel.checkSameState(world, s.lora.trainableParameters(), s.optimizer, state.globalStep);
            if (!world.isMain()) return;
            Path dir = Checkpoints.save(outputDir, name, d -> CheckpointContents.write(d, s.lora, s.optimizer, schedule, s.dropoutRng,
                    state, cfg, world.size()));
            Checkpoints.rotate(outputDir, cfg.saving().totalLimit(), state.bestModelCheckpoint == null ? null : Path.of(state.bestModelCheckpoint));
            callbacks.onSave(state, dir);
        }

        void finish(long start, boolean interrupted) throws IOException {
            if (!world.isMain()) return;
            if (!interrupted) {
                Path bestDir = state.bestModelCheckpoint == null ? null : Path.of(state.bestModelCheckpoint);
                if (cfg.evaluation().loadBestModelAtEnd() && bestDir != null && Files.isDirectory(bestDir)) {
                    copyAdapter(bestDir, outputDir);
                    copyAdapter(bestDir, outputDir.resolve("best_model"));
                    Map<String, Object> info = new LinkedHashMap<>();
                    info.put("best_metric", state.bestMetric);
                    info.put("metric_for_best_model", "eval_" + cfg.evaluation().metricForBestModel().configName());
                    info.put("greater_is_better", cfg.evaluation().greaterIsBetter());
                    info.put("best_global_step", state.bestGlobalStep);
                    info.put("best_model_checkpoint", state.bestModelCheckpoint);
                    dev.qlora4j.train.report.AtomicFiles.writeString(outputDir.resolve("best_model_info.json"),
                            RunState.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(info));
                } else {
                    s.lora.save(outputDir);
                }
            }
            state.write(outputDir);
            dev.qlora4j.train.report.AtomicFiles.writeString(outputDir.resolve(CheckpointContents.CONFIG),
                    RunState.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(cfg.resolved()));
            Map<String, Double> lastEval = new LinkedHashMap<>();
            for (LogEntry e : state.logHistory) if (e.isEval()) lastEval = new LinkedHashMap<>(e.values());
            double seconds = (System.nanoTime() - start) / 1e9;
            new TrainingMetrics(seconds, sessionSteps, sessionSamples, sessionTokens, meanTrainLoss(state), state.epoch, lastEval,
                    world.distributed() ? allReduceNanos / 1e9 : Double.NaN).write(outputDir.resolve("training_metrics.json"));
            if (world.distributed())
                out.printf(java.util.Locale.ROOT, "all-reduce over %d ranks: %.2f s of %.2f s (%.1f %%)%n", world.size(), allReduceNanos / 1e9, seconds,
                        100 * allReduceNanos / 1e9 / Math.max(1e-9, seconds));
            callbacks.onTrainEnd(state);
        }
    }

    private static void copyAdapter(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        for (String f : new String[]{"adapter_config.json", "adapter_model.safetensors"})
            Files.copy(from.resolve(f), to.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}
