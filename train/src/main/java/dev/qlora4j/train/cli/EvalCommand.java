package dev.qlora4j.train.cli;

import dev.qlora4j.train.compute.Compute;
import dev.qlora4j.model.config.ModelConfig;
import dev.qlora4j.model.config.Task;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.model.tokenizer.SpecialTokens;
import dev.qlora4j.model.tokenizer.Tokenizer;
import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.train.data.Collator;
import dev.qlora4j.train.data.DataFormat;
import dev.qlora4j.train.data.DataReport;
import dev.qlora4j.train.data.DataRows;
import dev.qlora4j.train.data.Example;
import dev.qlora4j.train.data.ExampleEncoder;
import dev.qlora4j.train.data.PadIds;
import dev.qlora4j.train.data.TrainingData;
import dev.qlora4j.train.eval.CausalLmEvaluator;
import dev.qlora4j.train.eval.ClassifierEvaluator;
import picocli.CommandLine;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * {@code eval --model DIR --data FILE}: the loss of a model on a data file. A causal LM reads
 * {@code {"text": ...}} rows (encoded with special tokens, as HF's tokenizer call does),
 * {@code {"messages": [...]}} rows (rendered by the chat template, encoded without added
 * specials) or {@code {"prompt", "completion"}} rows, and reports the mean next-token
 * cross-entropy over every predicted token; a sequence classifier reads {@code {"text", "label"}}
 * rows, or with {@code --data-format preference_pair} the Chatbot Arena CSV that {@code train}
 * reads, and reports mean cross-entropy (the log-loss) and accuracy. Rows become examples as for training
 * ({@link ExampleEncoder}), but with every token counted and no EOS appended.
 */
@CommandLine.Command(name = "eval",
        description = "loss and perplexity of a causal LM (or loss and accuracy of a classifier) on a JSONL data file or an arena CSV")
final class EvalCommand implements Main.Command {
    @CommandLine.Mixin
    ModelOptions model;

    @CommandLine.Mixin
    DataOptions data;

    @Override
    public Object run(PrintStream out) throws Exception {
        String device = model.device();
        Path dir = model.modelDir(), adapter = model.adapterDir();
        int batchSize = data.batchSize();
        RowData rowData = RowData.load(data, dir, out, false);
        ModelConfig config = rowData.config();
        List<Example> examples = rowData.examples();
        Map<String, Object> result = new LinkedHashMap<>();
        if (config.task() == Task.CAUSAL_LM) {
            Collator collator = Collator.causal(PadIds.causal(rowData.specials(), config), 1);
            CausalLmEvaluator.Result r;
            try (Transformer model = ModelOptions.load(dir, adapter); Compute compute = ModelOptions.compute(device, model)) {
                r = CausalLmEvaluator.evaluate(compute, examples, collator, batchSize, progress(out, examples.size()));
            }
            if (r.tokens() == 0) throw new UserError("no row has two or more tokens: nothing to predict (" + rowData.file() + ")");
            out.printf("loss %.6f, perplexity %.4f over %,d predicted tokens%n", r.loss(), r.perplexity(), r.tokens());
            result.put("loss", r.loss());
            result.put("perplexity", r.perplexity());
            result.put("tokens", r.tokens());
        } else {
            Collator collator = Collator.classification(PadIds.classifier(config), 1);
            ClassifierEvaluator.Result r;
            try (Transformer model = ModelOptions.load(dir, adapter); Compute compute = ModelOptions.compute(device, model)) {
                r = ClassifierEvaluator.evaluate(compute, examples, collator, batchSize, progress(out, examples.size()));
            }
            out.printf("loss %.6f, accuracy %.4f over %,d examples%n", r.loss(), r.accuracy(), r.examples());
            result.put("loss", r.loss());
            result.put("accuracy", r.accuracy());
            result.put("examples", r.examples());
        }
        return result;
    }

    private static IntConsumer progress(PrintStream out, int total) {
        return done -> out.printf("evaluated %d/%d rows%n", done, total);
    }
}
