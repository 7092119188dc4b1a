package dev.qlora4j.train.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.train.monitor.LogEntry;
import dev.qlora4j.train.monitor.TrainerState;
import dev.qlora4j.train.report.AtomicFiles;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * The progress of a run, kept while training and written as HF Trainer's
 * {@code trainer_state.json}: global step, epoch, the log history (train entries
 * {loss, grad_norm, learning_rate, epoch, step}, eval entries {eval_loss, eval_perplexity |
 * eval_accuracy, ..., epoch, step}) and the best metric with its checkpoint.
 */
public final class RunState implements TrainerState {
    static final ObjectMapper JSON = new ObjectMapper();
    public static final String FILE = "trainer_state.json";

    final Path outputDir;
    long globalStep;
    double epoch;
    long maxSteps;
    double numTrainEpochs;
    int loggingSteps, evalSteps, saveSteps, trainBatchSize;
    long numInputTokensSeen;
    Double bestMetric;
    Long bestGlobalStep;
    String bestModelCheckpoint;
    final List<LogEntry> logHistory = new ArrayList<>();

    RunState(Path outputDir) {
        this.outputDir = outputDir;
    }

    @Override
    public long globalStep() {
        return globalStep;
    }

    @Override
    public double epoch() {
        return epoch;
    }

    @Override
    public long maxSteps() {
        return maxSteps;
    }

    @Override
    public List<LogEntry> logHistory() {
        return Collections.unmodifiableList(logHistory);
    }

    @Override
    public Path outputDir() {
        return outputDir;
    }

    @Override
    public OptionalDouble bestMetric() {
        return bestMetric == null ? OptionalDouble.empty() : OptionalDouble.of(bestMetric);
    }

    @Override
    public Optional<Path> bestModelCheckpoint() {
        return Optional.ofNullable(bestModelCheckpoint).map(Path::of);
    }

    public ObjectNode toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("best_global_step", bestGlobalStep);
        n.put("best_metric", bestMetric);
        n.put("best_model_checkpoint", bestModelCheckpoint);
        n.put("epoch", epoch);
        n.put("eval_steps", evalSteps);
        n.put("global_step", globalStep);
        n.put("is_hyper_param_search", false);
        n.put("is_local_process_zero", true);
        n.put("is_world_process_zero", true);
        ArrayNode history = n.putArray("log_history");
        for (LogEntry e : logHistory) history.add(JSON.valueToTree(e.toJsonMap()));
        n.put("logging_steps", loggingSteps);
        n.put("max_steps", maxSteps);
        n.put("num_input_tokens_seen", numInputTokensSeen);
        n.put("num_train_epochs", numTrainEpochs);
        n.put("save_steps", saveSteps);
        n.putObject("stateful_callbacks");
        n.put("total_flos", 0);
        n.put("train_batch_size", trainBatchSize);
        n.putNull("trial_name");
        n.putNull("trial_params");
        return n;
    }

    public void write(Path dir) throws IOException {
        AtomicFiles.writeString(dir.resolve(FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson()));
    }

    /** A state read back from {@code dir/trainer_state.json} (a checkpoint or the output folder). */
    public static RunState read(Path dir, Path outputDir) {
        Path file = dir.resolve(FILE);
        JsonNode n;
        try {
            n = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw BadInputException.at(file.toString(), "cannot read the trainer state: " + e.getMessage());
        }
        if (n == null || !n.isObject() || !n.has("global_step"))
            throw BadInputException.at(file.toString(), "not a trainer_state.json (no global_step)");
        RunState s = new RunState(outputDir);
        s.globalStep = n.get("global_step").asLong();
        s.epoch = n.path("epoch").asDouble();
        s.maxSteps = n.path("max_steps").asLong();
        s.numTrainEpochs = n.path("num_train_epochs").asDouble();
        s.loggingSteps = n.path("logging_steps").asInt();
        s.evalSteps = n.path("eval_steps").asInt();
        s.saveSteps = n.path("save_steps").asInt();
        s.trainBatchSize = n.path("train_batch_size").asInt();
        s.numInputTokensSeen = n.path("num_input_tokens_seen").asLong();
        if (n.hasNonNull("best_metric")) s.bestMetric = n.get("best_metric").asDouble();
        if (n.hasNonNull("best_global_step")) s.bestGlobalStep = n.get("best_global_step").asLong();
        if (n.hasNonNull("best_model_checkpoint")) s.bestModelCheckpoint = n.get("best_model_checkpoint").asText();
        for (JsonNode e : n.path("log_history")) {
            Map<String, Double> values = new LinkedHashMap<>();
            e.fields().forEachRemaining(f -> {
                if (!f.getKey().equals("epoch") && !f.getKey().equals("step") && f.getValue().isNumber())
                    values.put(f.getKey(), f.getValue().asDouble());
            });
            s.logHistory.add(new LogEntry(e.path("step").asLong(), e.path("epoch").asDouble(), values));
        }
        return s;
    }
}
