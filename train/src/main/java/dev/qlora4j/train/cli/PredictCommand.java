package dev.qlora4j.train.cli;

import dev.qlora4j.train.compute.Compute;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.model.config.Task;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.train.data.Collator;
import dev.qlora4j.train.data.DataFormat;
import dev.qlora4j.train.data.Example;
import dev.qlora4j.train.data.PadIds;
import dev.qlora4j.train.eval.ClassifierEvaluator;
import dev.qlora4j.train.report.AtomicFiles;
import picocli.CommandLine;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code predict --model DIR --data FILE --out FILE}: a sequence classifier's class probabilities
 * for every row (HF's {@code trainer.predict} followed by a softmax). Rows need no label; the
 * arena CSV without winner columns (Kaggle's test.csv) is read with {@code --data-format
 * preference_pair}, and its output is the competition's submission layout
 * ({@code id,winner_model_a,winner_model_b,winner_tie}). Other data gets config.json's label
 * names as columns. {@code .csv} or {@code .jsonl} by the output's extension; written atomically.
 */
@CommandLine.Command(name = "predict",
        description = "class probabilities of a sequence classifier for every row (e.g. a Kaggle submission from the arena test CSV)")
final class PredictCommand implements Main.Command {
    private static final List<String> ARENA_COLUMNS = List.of("winner_model_a", "winner_model_b", "winner_tie");

    @CommandLine.Mixin
    ModelOptions model;

    @CommandLine.Mixin
    DataOptions dataOptions;

    @CommandLine.Option(names = "--out", required = true, paramLabel = "FILE",
            description = "the probabilities: .csv (id and one column a class) or .jsonl (id, label, probabilities)")
    Path target;

    @Override
    public Object run(PrintStream out) throws Exception {
        String device = model.device();
        Path dir = model.modelDir(), adapter = model.adapterDir();
        String name = target.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean csv = name.endsWith(".csv");
        if (!csv && !name.endsWith(".jsonl")) throw new UserError("--out must end in .csv or .jsonl (got " + target + ")");
        int batchSize = dataOptions.batchSize();
        RowData data = RowData.load(dataOptions, dir, out, true);
        if (data.config().task() != Task.SEQUENCE_CLASSIFICATION)
            throw new UserError("predict gives a sequence classifier's class probabilities; " + dir + " is a causal LM (use generate)");
        List<String> classes = data.format() == DataFormat.PREFERENCE_PAIR ? ARENA_COLUMNS
                : new ArrayList<>(data.config().classification().id2label().values());
        List<Example> examples = data.examples();
        double[][] p;
        try (Transformer model = ModelOptions.load(dir, adapter); Compute compute = ModelOptions.compute(device, model)) {
            p = ClassifierEvaluator.probabilities(compute, examples, Collator.classification(PadIds.classifier(data.config()), 1),
                    batchSize, done -> out.printf("predicted %d/%d rows%n", done, examples.size()));
        }
        if (p.length > 0 && p[0].length != classes.size())
            throw new UserError("the model's head has " + p[0].length + " classes but the data has " + classes.size() + " (" + dir + ")");
        StringBuilder text = new StringBuilder();
        ObjectMapper json = new ObjectMapper();
        if (csv) text.append("id,").append(String.join(",", classes)).append('\n');
        for (int i = 0; i < p.length; i++) {
            long id = data.rows().get(i).id();
            if (csv) {
                text.append(id);
                for (double v : p[i]) text.append(',').append(v);
                text.append('\n');
            } else {
                ObjectNode row = json.createObjectNode().put("id", id);
                row.put("label", classes.get(argmax(p[i])));
                ObjectNode probabilities = row.putObject("probabilities");
                for (int c = 0; c < p[i].length; c++) probabilities.put(classes.get(c), p[i][c]);
                text.append(json.writeValueAsString(row)).append('\n');
            }
        }
        AtomicFiles.writeString(target, text.toString());
        out.println("wrote " + p.length + " rows of " + String.join("/", classes) + " probabilities to " + target);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("out", target.toString());
        result.put("rows", p.length);
        if (data.labelled()) {
            double logLoss = 0;
            int correct = 0;
            for (int i = 0; i < p.length; i++) {
                int label = examples.get(i).classLabel();
                logLoss -= Math.log(p[i][label]);
                if (argmax(p[i]) == label) correct++;
            }
            result.put("log_loss", logLoss / p.length);
            result.put("accuracy", (double) correct / p.length);
        }
        return result;
    }

    /** The first index of the largest value (the class a tie goes to, as torch.argmax). */
    private static int argmax(double[] v) {
        int best = 0;
        for (int c = 1; c < v.length; c++) if (v[c] > v[best]) best = c;
        return best;
    }
}
