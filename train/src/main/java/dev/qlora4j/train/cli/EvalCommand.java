package dev.qlora4j.train.cli;

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

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
final class EvalCommand implements Main.Command {
    private static final int DEFAULT_BATCH_SIZE = 8;

    @Override
    public String summary() {
        return "loss and perplexity of a causal LM (or loss and accuracy of a classifier) on a JSONL data file or an arena CSV";
    }

    @Override
    public Set<String> flags() {
        return Set.of();
    }

    @Override
    public Set<String> options() {
        return Set.of("model", "data", "data-format", "batch-size", "max-length", "adapter", "device");
    }

    @Override
    public Object run(Args args, PrintStream out) throws Exception {
        ModelOptions.checkDevice(args);
        Path dir = ModelOptions.modelDir(args), adapter = ModelOptions.adapterDir(args);
        Path data = Path.of(TokenizeCommand.required(args, "data"));
        int batchSize = args.getInt("batch-size", DEFAULT_BATCH_SIZE);
        if (batchSize < 1) throw new UserError("--batch-size must be at least 1 (got " + batchSize + ")");
        int maxLength = args.getInt("max-length", Integer.MAX_VALUE);
        if (maxLength < 1) throw new UserError("--max-length must be at least 1 (got " + maxLength + ")");
        ModelConfig config = ModelConfig.load(dir);
        Tokenizer tokenizer = Tokenizer.load(dir);
        SpecialTokens specials = SpecialTokens.load(dir, tokenizer);
        String formatName = args.get("data-format", "auto");
        DataFormat format;
        try {
            format = DataFormat.parse(formatName);
        } catch (BadInputException e) {
            throw new UserError("--data-format must be auto or preference_pair (got \"" + formatName + "\")");
        }
        List<DataReport.FileStats> stats = new ArrayList<>();
        List<DataRows.Row> rows = TrainingData.readRows(data, format, stats);
        if (format == DataFormat.PREFERENCE_PAIR && config.task() != Task.SEQUENCE_CLASSIFICATION)
            throw new UserError("--data-format preference_pair is 3-class data for a sequence classifier; " + dir + " is a causal LM");
        for (DataReport.FileStats f : stats)
            if (f.malformed().count() > 0) out.println(f.file() + ": skipped malformed rows: " + f.malformed());
        // every token counts and text is taken as it is: the loss of the rows, not of training examples made from them
        ExampleEncoder encoder = new ExampleEncoder(config.task(), tokenizer, specials, ExampleEncoder.templateOf(dir), config,
                new ExampleEncoder.Options(maxLength, false, false, "--max-length"));
        List<Example> examples = new ArrayList<>();
        for (DataRows.Row row : rows) {
            Example e = encoder.encode(row).example();
            if (e != null) examples.add(e);
        }
        Map<String, Object> result = new LinkedHashMap<>();
        if (config.task() == Task.CAUSAL_LM) {
            Collator collator = Collator.causal(PadIds.causal(specials, config), 1);
            CausalLmEvaluator.Result r;
            try (Transformer model = ModelOptions.load(dir, adapter)) {
                r = CausalLmEvaluator.evaluate(model, examples, collator, batchSize, progress(out, examples.size()));
            }
            if (r.tokens() == 0) throw new UserError("no row has two or more tokens: nothing to predict (" + data + ")");
            out.printf("loss %.6f, perplexity %.4f over %,d predicted tokens%n", r.loss(), r.perplexity(), r.tokens());
            result.put("loss", r.loss());
            result.put("perplexity", r.perplexity());
            result.put("tokens", r.tokens());
        } else {
            Collator collator = Collator.classification(PadIds.classifier(config), 1);
            ClassifierEvaluator.Result r;
            try (Transformer model = ModelOptions.load(dir, adapter)) {
                r = ClassifierEvaluator.evaluate(model, examples, collator, batchSize, progress(out, examples.size()));
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
