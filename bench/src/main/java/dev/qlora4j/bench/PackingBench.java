package dev.qlora4j.bench;

import dev.qlora4j.model.config.ModelConfig;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.tensor.CrossEntropy;
import dev.qlora4j.tensor.Generator;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.train.data.BatchPlan;
import dev.qlora4j.train.data.Collator;
import dev.qlora4j.train.data.DataSpec;
import dev.qlora4j.train.data.Example;
import dev.qlora4j.train.data.Packing;
import dev.qlora4j.train.data.PaddedBatch;
import dev.qlora4j.train.data.TrainingData;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * LoRA training on examples of uneven length, three ways side by side in one run: padded micro-batches of 8
 * in a shuffled order (HF Trainer's default), {@code group_by_length} (HF's LengthGroupedSampler, the
 * trainer's BatchPlan), and {@code packing} (TRL's best-fit decreasing into padding-free packs of
 * max_length, as many packs a micro-batch as carry about the real tokens of 8 examples). One op = forward +
 * backward of every micro-batch of one epoch; the {@code tokens} counter counts real (non-padding) tokens
 * only, so its rate is comparable across the three.
 *
 * <p>Data: {@code demo} = the demo's 314 Socratic dialogues (its tokenizer, max_length 256, loss on the
 * assistant turns); {@code lognormal-1024} / {@code lognormal-2048} = 192 sequences of random tokens with
 * the length spread of real chat SFT data (log-normal, median 300, 99th percentile 2,000; cut to
 * max_length). Model: a random Llama of hidden 256, 4 layers, 4 heads (2 KV heads), SwiGLU 1024,
 * vocabulary 8192, LoRA r 16 on q_proj and v_proj (small, so that an epoch fits in seconds on two cores;
 * padding costs the same share of every layer and of the head at any size).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC", "-Xmx8g"})
public class PackingBench {
    static final int HIDDEN = 256, LAYERS = 4, HEADS = 4, KV_HEADS = 2, FFN = 1024, VOCAB = 8192, MICRO = 8, SYNTHETIC = 192;

    @Param({"demo", "lognormal-1024", "lognormal-2048"})
    public String data;

    @Param({"padded", "group_by_length", "packing"})
    public String batching;

    private Transformer model;
    private List<Tensor> parameters;
    private final List<PaddedBatch> batches = new ArrayList<>();
    private long realTokens;

    @Setup(Level.Trial)
    public void setup() {
        Generator gen = new Generator(0);
        model = Transformer.create(config(), (name, shape) -> TrainStepBench.init(gen, name, shape), false);
        TrainStepBench.addLora(model, gen);
        parameters = model.trainableParameters();
        int maxLength = data.equals("demo") ? 256 : Integer.parseInt(data.substring(data.indexOf('-') + 1));
        List<Example> examples = data.equals("demo") ? demo(maxLength) : lognormal(new Generator(1), maxLength);
        long tokens = 0;
        for (Example e : examples) tokens += e.length();
        BatchPlan plan = switch (batching) {
            case "padded" -> new BatchPlan(examples, MICRO, true, 42);
            case "group_by_length" -> new BatchPlan(examples, MICRO, true, 42, MICRO, false);
            case "packing" -> {
                List<Example> packs = Packing.pack(examples, maxLength, Packing.Strategy.BFD);
                int perBatch = (int) Math.max(1, Math.round(MICRO * (double) tokens / examples.size() / maxLength));
                yield new BatchPlan(packs, perBatch, true, 42);
            }
            default -> throw new IllegalArgumentException(batching);
        };
        Collator collator = Collator.causal(0, Collator.DEFAULT_PAD_TO_MULTIPLE_OF);
        for (int i = 0; i < plan.microBatchesPerEpoch(); i++) batches.add(collator.collate(plan.microBatch(i).examples()));
        realTokens = tokens;
    }

    @Benchmark
    public Object epoch(TokenCounters counters) {
        Tensor last = null;
        for (PaddedBatch b : batches) {
            Tensor loss = model.causalLmLoss(b.inputIds(), b.attentionMask(), b.packed(), b.labels(), CrossEntropy.Reduction.SUM)
                    .div(Tensor.scalar(Math.max(1, b.labelTokens())));
            loss.backward();
            for (Tensor p : parameters) p.zeroGrad();
            last = loss;
        }
        counters.tokens += realTokens;
        return last;
    }

    private static List<Example> demo(int maxLength) {
        Path demo = Path.of("train", "src", "main", "resources", "demo");
        if (!Files.isDirectory(demo)) demo = Path.of("..").resolve(demo);
        DataSpec spec = DataSpec.builder(demo.resolve("data").resolve("socratic_train.jsonl")).maxLength(maxLength)
                .trainOnResponsesOnly(true).shuffle(false).build();
        return TrainingData.load(spec, demo.resolve("model")).train();
    }

    /** Random tokens with log-normal lengths: median 300, 99th percentile 2,000 (σ = ln(2000/300)/2.326). */
    static List<Example> lognormal(Generator gen, int maxLength) {
        double mu = Math.log(300), sigma = Math.log(2000 / 300.0) / 2.326;
        java.util.Random random = new java.util.Random(7);
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < SYNTHETIC; i++) {
            int len = (int) Math.max(2, Math.min(maxLength, Math.round(Math.exp(mu + sigma * random.nextGaussian()))));
            int[] ids = new int[len];
            for (int t = 0; t < len; t++) ids[t] = gen.nextInt(VOCAB);
            out.add(Example.causal("synthetic " + i, i, ids));
        }
        return out;
    }

    static ModelConfig config() {
        return TrainStepBench.llama(HIDDEN, FFN, LAYERS, HEADS, KV_HEADS, VOCAB, 4096, "PackingBench");
    }
}
