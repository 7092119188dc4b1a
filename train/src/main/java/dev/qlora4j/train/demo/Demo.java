package dev.qlora4j.train.demo;

import dev.qlora4j.tensor.Generator;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.train.optim.AdamW;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * The demo run: a {@link TinyCharLm} trained with AdamW (linear warm-up, cosine decay) on
 * {@link DemoCorpus} text, with held-out perplexity before and after. Writes the per-step log to
 * {@code output_dir/demo_log.csv}.
 */
public final class Demo {
    public record Result(Path outputDir, double perplexityBefore, double perplexityAfter, float firstLoss, float lastLoss) {}

    private static final int BATCH = 8, CONTEXT = 48;

    private final Generator gen;
    private final int steps;
    private final Path outputDir;
    private final PrintStream out;

    public Demo(Generator gen, int steps, Path outputDir, PrintStream out) {
        this.gen = gen;
        this.steps = steps;
        this.outputDir = outputDir;
        this.out = out;
    }

    public Result run() throws IOException {
        DemoCorpus corpus = new DemoCorpus(gen, 600);
        int split = corpus.text.length() * 9 / 10;
        TinyCharLm model = new TinyCharLm(new TinyCharLm.Shape(corpus.vocab(), 64, 4, 2, 2, 176, CONTEXT), gen);
        AdamW opt = new AdamW(model.parameters(), 0.9f, 0.999f, 1e-8f, 0.01f);
        out.printf(Locale.ROOT, "demo: %d-layer transformer, %,d parameters, vocabulary of %d characters, %d steps of %d×%d tokens%n",
                2, model.parameterCount(), corpus.vocab(), steps, BATCH, CONTEXT);
        Tensor evalBatch = evalBatch(corpus, split);
        double before = perplexity(model, evalBatch);
        out.printf(Locale.ROOT, "eval perplexity before training: %.3f%n", before);

        StringBuilder log = new StringBuilder("step,loss,learning_rate\n");
        float first = Float.NaN, last = Float.NaN;
        float peak = 1e-2f;
        int warmup = Math.max(1, steps / 10);
        for (int step = 1; step <= steps; step++) {
            float lr = step <= warmup ? peak * step / warmup
                    : (float) (peak * 0.5 * (1 + Math.cos(Math.PI * (step - warmup) / Math.max(1, steps - warmup))));
            Tensor loss = model.loss(trainBatch(corpus, split));
            loss.backward();
            opt.step(lr);
            opt.zeroGrad();
            last = loss.item();
            if (step == 1) first = last;
            out.printf(Locale.ROOT, "step %3d/%d  loss %.4f  lr %.2e%n", step, steps, last, lr);
            log.append(step).append(',').append(last).append(',').append(lr).append('\n');
        }
        double after = perplexity(model, evalBatch);
        out.printf(Locale.ROOT, "eval perplexity after training: %.3f (before: %.3f)%n", after, before);
        Files.createDirectories(outputDir);
        Path tmp = outputDir.resolve("demo_log.csv.tmp");
        Files.writeString(tmp, log);
        Files.move(tmp, outputDir.resolve("demo_log.csv"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return new Result(outputDir, before, after, first, last);
    }

    private Tensor trainBatch(DemoCorpus corpus, int split) {
        int[] ids = new int[BATCH * (CONTEXT + 1)];
        for (int b = 0; b < BATCH; b++) {
            int start = gen.nextInt(split - CONTEXT - 1);
            System.arraycopy(corpus.encode(start, CONTEXT + 1), 0, ids, b * (CONTEXT + 1), CONTEXT + 1);
        }
        return Tensor.ofInts(ids, BATCH, CONTEXT + 1);
    }

    private static Tensor evalBatch(DemoCorpus corpus, int split) {
        int rows = (corpus.text.length() - split) / (CONTEXT + 1);
        int[] ids = new int[rows * (CONTEXT + 1)];
        for (int r = 0; r < rows; r++)
            System.arraycopy(corpus.encode(split + r * (CONTEXT + 1), CONTEXT + 1), 0, ids, r * (CONTEXT + 1), CONTEXT + 1);
        return Tensor.ofInts(ids, rows, CONTEXT + 1);
    }

    private static double perplexity(TinyCharLm model, Tensor batch) {
        try (var ignored = Tensor.noGrad()) {
            return Math.exp(model.loss(batch).item());
        }
    }
}
