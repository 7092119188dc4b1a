package dev.qlora4j.train.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.model.lora.LoraModel;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.tensor.Generator;
import dev.qlora4j.train.config.TrainingConfig;
import dev.qlora4j.train.config.TrainingConfigParser;
import dev.qlora4j.train.data.DataSpec;
import dev.qlora4j.train.data.TrainingData;
import dev.qlora4j.train.eval.CausalLmEvaluator;
import dev.qlora4j.train.trainer.Trainer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The demo: LoRA fine-tuning of the bundled base model on the bundled Socratic dialogues with
 * the real {@link Trainer} ({@link DemoRecipe}), perplexity on the held-out dialogues' assistant
 * turns before and after, and greedy answers to a held-out English and Japanese question from
 * the base model and from the fine-tuned one.
 */
public final class Demo {
    /** @param perplexityBefore of the base model; {@code perplexityAfter} with the adapter the run ends with (its best) */
    public record Result(Path outputDir, double perplexityBefore, double perplexityAfter, List<String> questions,
                         List<String> answersBefore, List<String> answersAfter) {}

    /** Marks a folder as the demo's own, so that a later demo run may replace it. */
    static final String CONFIG_FILE = "demo_config.json";

    private final int steps;
    private final long seed;
    private final Path outputDir;
    private final PrintStream out;

    public Demo(int steps, long seed, Path outputDir, PrintStream out) {
        this.steps = steps;
        this.seed = seed;
        this.outputDir = outputDir;
        this.out = out;
    }

    public Result run() throws IOException {
        clearEarlierRun();
        DemoAssets.Unpacked assets = DemoAssets.unpack(outputDir);
        ObjectNode json = DemoRecipe.config(assets, outputDir, steps, seed);
        Files.writeString(outputDir.resolve(CONFIG_FILE), new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(json) + "\n");
        TrainingConfig cfg = TrainingConfigParser.parse(json, outputDir.resolve(CONFIG_FILE).toString());
        TrainingData data = TrainingData.load(DataSpec.builder(assets.trainFile()).evalFile(assets.evalFile())
                .trainOnResponsesOnly(true).maxLength(cfg.data().maxLength()).build(), assets.modelDir());

        out.printf(Locale.ROOT, "demo: LoRA (r %d on every linear projection) of a small pretrained %s on %d Socratic dialogues (English and Japanese) for %d steps%n",
                DemoRecipe.RANK, describe(assets.modelDir()), data.train().size(), steps);
        out.println("demo: files in " + outputDir + " (config: " + CONFIG_FILE + ")");
        List<String> questions = DemoSamples.questions(assets.evalFile());
        Measured base = measure(assets.modelDir(), null, data, questions);
        List<String> before = base.answers();
        double pplBefore = base.perplexity();
        out.printf(Locale.ROOT, "eval perplexity before training: %.3f (assistant turns of %d held-out dialogues)%n", pplBefore,
                data.eval().size());

        Trainer.Result r = new Trainer(cfg, out, List.of()).train();

        Measured tuned = measure(assets.modelDir(), outputDir, data, questions);
        List<String> after = tuned.answers();
        double pplAfter = tuned.perplexity();
        out.printf(Locale.ROOT, "eval perplexity after training: %.3f (before: %.3f; best checkpoint: %s)%n", pplAfter, pplBefore,
                r.bestModelCheckpoint());
        for (int i = 0; i < questions.size(); i++) {
            out.println();
            out.println("question:   " + questions.get(i));
            out.println("base model: " + before.get(i));
            out.println("fine-tuned: " + after.get(i));
        }
        out.println();
        out.println("outputs: adapter (adapter_model.safetensors), checkpoint-N/, runs/ (TensorBoard), loss.png, trainer_state.json in "
                + outputDir);
        return new Result(outputDir, pplBefore, pplAfter, questions, before, after);
    }

    /** @param perplexity per token, over the evaluation examples' learned (assistant) tokens */
    private record Measured(double perplexity, List<String> answers) {}

    /** The model (with the adapter in {@code adapterDir}, or alone when null), loaded once: its perplexity and its answers. */
    private static Measured measure(Path modelDir, Path adapterDir, TrainingData data, List<String> questions) {
        try (Transformer model = Transformer.load(modelDir)) {
            if (adapterDir != null) LoraModel.load(model, adapterDir, new Generator(0)).setTraining(false);
            double perplexity = CausalLmEvaluator.evaluate(model, data.eval(), data.collator(), 16, done -> { }).perplexity();
            return new Measured(perplexity, DemoSamples.answer(model, modelDir, questions));
        }
    }

    private static String describe(Path modelDir) {
        var c = dev.qlora4j.model.config.ModelConfig.load(modelDir);
        return String.format(Locale.ROOT, "%d-layer Llama (hidden %d, vocabulary %d)", c.numHiddenLayers(), c.hiddenSize(), c.vocabSize());
    }

    /** A folder left by an earlier demo run is replaced; any other non-empty folder is refused. */
    private void clearEarlierRun() throws IOException {
        if (!Files.isDirectory(outputDir)) return;
        try (Stream<Path> entries = Files.list(outputDir)) {
            if (entries.findAny().isEmpty()) return;
        }
        if (!Files.isRegularFile(outputDir.resolve(CONFIG_FILE)))
            throw dev.qlora4j.tensor.BadInputException.at(outputDir.toString(),
                    "the folder is not empty and was not written by the demo; choose another --output-dir");
        try (Stream<Path> all = Files.walk(outputDir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) if (!p.equals(outputDir)) Files.delete(p);
        }
    }
}
