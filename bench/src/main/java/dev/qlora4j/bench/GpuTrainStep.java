package dev.qlora4j.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.accel.CudaDevice;
import dev.qlora4j.accel.model.GpuTransformer;
import dev.qlora4j.model.config.QuantizationConfig;
import dev.qlora4j.model.config.Task;
import dev.qlora4j.model.lora.LoraConfig;
import dev.qlora4j.model.lora.LoraModel;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.tensor.CrossEntropy;
import dev.qlora4j.tensor.Generator;
import dev.qlora4j.train.optim.AdamW;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * One LoRA (or QLoRA) training step on the GPU, timed as ../shared/peers/bench_peft.py times the
 * HF + PEFT peer: the case's model shape (a folder from bench/random_hf_model.py), LoRA config,
 * batch and sequence length; random token ids; 3 warm-up steps, then the median of {@code steps}.
 * A step is forward + backward of the batch, the gradients to the host, AdamW there, the updated
 * adapter back to the device. Prints one JSON line: tokens/s, step ms, peak device memory.
 *
 * <p>{@code --batch N} / {@code --seq N} override the case's batch and length (a quick run).
 * With QLORA4J_CUDA_PROFILE=1 every operation is timed alone (slower steps) and the largest
 * totals are printed to stderr.
 *
 * <pre>java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar \
 *     dev.qlora4j.bench.GpuTrainStep CASE MODEL_DIR [STEPS] [--nf4] [--batch N] [--seq N]</pre>
 */
public final class GpuTrainStep {
    private GpuTrainStep() {}

    /** bench_peft.py's cases: LoRA rank, alpha, targets, first adapted layer, batch, sequence length. */
    record Case(int r, int alpha, List<String> targets, int fromLayer, int batch, int seq) {}

    static final Map<String, Case> CASES = Map.of(
            "llama32-1b-sft", new Case(16, 32, List.of("q_proj", "v_proj"), 0, 4, 1024),
            "llama3-8b-sft", new Case(16, 32, List.of("q_proj", "v_proj"), 0, 2, 1024),
            "gemma2-2b-sft", new Case(16, 32, List.of("q_proj", "v_proj"), 0, 2, 1024),
            "gemma2-9b-seqcls", new Case(16, 32, List.of("q_proj", "k_proj", "v_proj"), 16, 4, 1024),
            "llama3-8b-seqcls", new Case(4, 8, List.of("o_proj", "v_proj"), 0, 4, 1024));

    public static void main(String[] args) throws Exception {
        if (args.length < 2 || !CASES.containsKey(args[0])) {
            System.err.println("usage: GpuTrainStep CASE MODEL_DIR [STEPS] [--nf4]   CASE: " + CASES.keySet());
            System.exit(2);
        }
        Case c = CASES.get(args[0]);
        List<String> argList = Arrays.asList(args);
        // --batch N / --seq N override the case's (a quick run on a small model or the CPU emulator)
        if (argList.contains("--batch") || argList.contains("--seq")) {
            int b = argList.contains("--batch") ? Integer.parseInt(args[argList.indexOf("--batch") + 1]) : c.batch();
            int t = argList.contains("--seq") ? Integer.parseInt(args[argList.indexOf("--seq") + 1]) : c.seq();
            c = new Case(c.r(), c.alpha(), c.targets(), c.fromLayer(), b, t);
        }
        Path dir = Path.of(args[1]);
        int steps = args.length > 2 && !args[2].startsWith("--") ? Integer.parseInt(args[2]) : 8;
        boolean nf4 = Arrays.asList(args).contains("--nf4");
        QuantizationConfig quant = null;
        if (nf4) {
            ObjectNode root = JsonNodeFactory.instance.objectNode();
            root.putObject("quantization_config").put("load_in_4bit", true).put("bnb_4bit_quant_type", "nf4")
                    .put("bnb_4bit_use_double_quant", true).put("bnb_4bit_compute_dtype", "bfloat16");
            quant = QuantizationConfig.fromConfig(root, Path.of("--nf4"));
        }
        long t0 = System.nanoTime();
        try (Transformer model = Transformer.load(dir, false, quant); CudaDevice d = CudaDevice.open()) {
            boolean classifier = model.config().task() == Task.SEQUENCE_CLASSIFICATION;
            ObjectNode lc = JsonNodeFactory.instance.objectNode().put("r", c.r()).put("lora_alpha", c.alpha()).put("lora_dropout", 0.05)
                    .put("task_type", classifier ? "SEQ_CLS" : "CAUSAL_LM");
            lc.putArray("target_modules").addAll(c.targets().stream().map(JsonNodeFactory.instance::textNode).toList());
            if (c.fromLayer() > 0) {
                var layers = lc.putArray("layers_to_transform");
                for (int l = c.fromLayer(); l < model.config().numHiddenLayers(); l++) layers.add(l);
            }
            LoraModel lora = LoraModel.attach(model, LoraConfig.fromJson(lc, "case"), new Generator(0), new Generator(1));
            GpuTransformer gpu = new GpuTransformer(d, model, lora);
            AdamW opt = new AdamW(lora.trainableParameters(), 0.9f, 0.999f, 1e-8f, 0f);
            double initS = (System.nanoTime() - t0) / 1e9;
            Random rnd = new Random(0);
            int n = c.batch() * c.seq(), vocab = model.config().vocabSize();
            int[] ids = new int[n], mask = new int[n];
            for (int i = 0; i < n; i++) {
                ids[i] = rnd.nextInt(vocab);
                mask[i] = 1;
            }
            int[] labels = classifier ? new int[c.batch()] : ids;
            for (int i = 0; classifier && i < labels.length; i++) labels[i] = rnd.nextInt(model.head().outFeatures());
            // the classifier pools each row's last token that is not the pad id: keep the pad id out of the batch
            Integer pad = model.config().tokenIds().pad();
            for (int i = 0; pad != null && i < n; i++) if (ids[i] == pad) ids[i] = (pad + 1) % vocab;
            List<Double> times = new ArrayList<>();
            double loss = 0;
            d.allocator().resetPeaks();
            for (int i = 0; i < steps + 3; i++) {
                d.synchronize();
                long t = System.nanoTime();
                loss = gpu.step(ids, mask, labels, c.batch(), c.seq(), CrossEntropy.Reduction.MEAN, 1f, true, i).loss();
                gpu.gradientsToHost();
                opt.step(2e-4f);
                opt.zeroGrad();
                gpu.parametersChanged();
                d.synchronize();
                if (i >= 3) times.add((System.nanoTime() - t) / 1e9);
            }
            times.sort(null);
            if (!d.profile().isEmpty()) {
                // per-operation totals over the timed steps and warm-up (QLORA4J_CUDA_PROFILE=1), largest first, on stderr
                long all = d.profile().values().stream().mapToLong(e -> e[1]).sum();
                d.profile().entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1])).limit(25)
                        .forEach(e -> System.err.printf("%8.1f ms %5.1f %% %7d× %s%n", e.getValue()[1] / 1e6, 100.0 * e.getValue()[1] / all,
                                e.getValue()[0], e.getKey()));
            }
            double step = times.get(times.size() / 2);
            long[] info = d.memoryInfo();
            System.out.printf("{\"case\": \"%s\", \"impl\": \"qlora4j\", \"weights\": \"%s\", \"device\": \"%s\", \"batch\": %d, \"seq\": %d, "
                            + "\"median_step_s\": %.4f, \"step_ms\": %.1f, \"tokens_per_s\": %.1f, \"peak_allocated_bytes\": %d, "
                            + "\"peak_reserved_bytes\": %d, \"peak_mem_gib\": %.2f, \"device_used_bytes\": %d, \"init_s\": %.1f, \"loss\": %.4f}%n",
                    args[0], nf4 ? "nf4" : "bf16", d.name(), c.batch(), c.seq(), step, step * 1000, n / step,
                    d.allocator().peakAllocatedBytes(), d.allocator().peakReservedBytes(), d.allocator().peakAllocatedBytes() / Math.pow(2, 30),
                    info[1] - info[0], initS, loss);
        }
    }
}
