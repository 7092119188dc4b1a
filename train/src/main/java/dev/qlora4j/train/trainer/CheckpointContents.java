package dev.qlora4j.train.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.model.lora.LoraModel;
import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.tensor.Generator;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.tensor.io.SafetensorsFile;
import dev.qlora4j.tensor.io.SafetensorsWriter;
import dev.qlora4j.train.config.TrainingConfig;
import dev.qlora4j.train.optim.Optimizer;
import dev.qlora4j.train.report.AtomicFiles;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What a checkpoint folder holds, beside HF's adapter files and trainer_state.json: the optimizer
 * state ({@code optimizer.safetensors}), the schedule ({@code scheduler.json}), the random state
 * ({@code rng_state.json}) and the run's config ({@code training_config.json}) — enough to resume
 * bit for bit.
 */
final class CheckpointContents {
    private CheckpointContents() {}

    static final String OPTIMIZER = "optimizer.safetensors", SCHEDULER = "scheduler.json", RNG = "rng_state.json",
            CONFIG = "training_config.json";

    static void write(Path dir, LoraModel lora, Optimizer opt, Schedule schedule, Generator dropout, RunState state,
                      TrainingConfig cfg, int worldSize) throws IOException {
        lora.save(dir);
        DataParallel.write(dir, cfg, worldSize);
        Map<String, Tensor> optimizerState = new java.util.LinkedHashMap<>(opt.stateDict());
        SafetensorsWriter.write(dir.resolve(OPTIMIZER), optimizerState,
                Map.of("optimizer", cfg.optimizer().optim().configName(), "step", Integer.toString(opt.stepCount())));
        ObjectNode sched = RunState.JSON.createObjectNode();
        sched.put("lr_scheduler_type", schedule.type().hfName());
        sched.put("base_learning_rate", schedule.baseLr());
        sched.put("warmup_steps", schedule.warmup());
        sched.put("total_steps", schedule.total());
        sched.put("last_step", state.globalStep);
        sched.put("last_learning_rate", schedule.lr(Math.max(0, state.globalStep - 1)));
        AtomicFiles.writeString(dir.resolve(SCHEDULER), RunState.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(sched));
        Generator.State rng = dropout.state();
        ObjectNode r = RunState.JSON.createObjectNode();
        r.put("seed", cfg.run().seed());
        r.putObject("dropout").put("state", rng.seed()).put("spare_gaussian", Double.isNaN(rng.spareGaussian()) ? null : rng.spareGaussian());
        AtomicFiles.writeString(dir.resolve(RNG), RunState.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(r));
        AtomicFiles.writeString(dir.resolve(CONFIG), RunState.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(cfg.resolved()));
        TorchTrainerFiles.write(dir, lora.trainableParameters(), opt, schedule, state.globalStep, cfg);
        state.write(dir);
    }

    /**
     * Restores the optimizer and the dropout stream from a checkpoint folder: ours, or one HF
     * Trainer wrote in Python (optimizer.pt, no dropout stream of ours: it restarts from the seed).
     */
    static void restore(Path dir, Optimizer opt, List<Tensor> params, Generator dropout, long step, PrintStream log) throws IOException {
        Path optFile = dir.resolve(OPTIMIZER);
        if (Files.isRegularFile(optFile)) {
            try (SafetensorsFile f = SafetensorsFile.open(optFile)) {
                opt.loadStateDict(f.copyAll(), (int) step);
            }
        } else if (Files.isRegularFile(dir.resolve(TorchTrainerFiles.OPTIMIZER))) {
            opt.loadStateDict(TorchTrainerFiles.readOptimizer(dir.resolve(TorchTrainerFiles.OPTIMIZER), opt, params), (int) step);
            log.println("resuming with the optimizer state of " + dir.resolve(TorchTrainerFiles.OPTIMIZER) + " (written by PyTorch)");
        } else {
            throw BadInputException.at(dir.toString(), "the checkpoint has no " + OPTIMIZER + " or " + TorchTrainerFiles.OPTIMIZER);
        }
        Path rngFile = dir.resolve(RNG);
        if (!Files.isRegularFile(rngFile)) {
            log.println("the checkpoint has no " + RNG + " (not written by qlora4j): LoRA dropout draws a new stream from the seed");
            return;
        }
        JsonNode d = RunState.JSON.readTree(rngFile.toFile()).path("dropout");
        if (!d.has("state")) throw BadInputException.at(rngFile.toString(), "no dropout state");
        dropout.restore(new Generator.State(d.get("state").asLong(), d.path("spare_gaussian").isNumber() ? d.get("spare_gaussian").asDouble() : Double.NaN));
    }
}
