package dev.qlora4j.train.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.tensor.BadInputException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The progress of a run, written as HF Trainer's {@code trainer_state.json}: global step, epoch,
 * the log history (train entries {step, epoch, loss, grad_norm, learning_rate}, eval entries
 * {step, epoch, eval_loss, eval_perplexity | eval_accuracy, ...}), and the best metric with its
 * checkpoint.
 */
public final class TrainerState {
    static final ObjectMapper JSON = new ObjectMapper();
    public static final String FILE = "trainer_state.json";

    public long globalStep;
    public double epoch;
    public long maxSteps;
    public double numTrainEpochs;
    public int loggingSteps, evalSteps, saveSteps, trainBatchSize;
    public long numInputTokensSeen;
    public Double bestMetric;
    public Long bestGlobalStep;
    public String bestModelCheckpoint;
    public final List<ObjectNode> logHistory = new ArrayList<>();

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
        logHistory.forEach(history::add);
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
        Path tmp = dir.resolve(FILE + ".tmp");
        Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson()));
        Files.move(tmp, dir.resolve(FILE), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    public static TrainerState read(Path dir) {
        Path file = dir.resolve(FILE);
        JsonNode n;
        try {
            n = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw BadInputException.at(file.toString(), "cannot read the trainer state: " + e.getMessage());
        }
        if (n == null || !n.isObject() || !n.has("global_step"))
            throw BadInputException.at(file.toString(), "not a trainer_state.json (no global_step)");
        TrainerState s = new TrainerState();
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
        n.path("log_history").forEach(e -> s.logHistory.add((ObjectNode) e));
        return s;
    }
}
