package dev.qlora4j.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.model.config.ModelConfig;
import dev.qlora4j.model.lora.LoraLinear;
import dev.qlora4j.model.nn.DecoderLayer;
import dev.qlora4j.model.nn.KvCache;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.tensor.CrossEntropy;
import dev.qlora4j.tensor.Generator;
import dev.qlora4j.tensor.Tensor;
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

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A training step and greedy decoding of a random-weight Llama-style model, the shapes and modes
 * of the PyTorch peer {@code bench/torch_train_step.py} ({@code bench/train-step-vs-pytorch.sh}
 * runs both): hidden 512, 8 layers, 8 heads, 2 KV heads, SwiGLU 2048, vocabulary 32000.
 * <ul>
 *   <li>{@code full}: one op = forward + backward of the mean next-token cross-entropy of a
 *       [4, 256] batch, every weight trainable F32 (no optimizer step);</li>
 *   <li>{@code lora}: the same with the base frozen and LoRA (r 16, α 32) on q_proj and v_proj;</li>
 *   <li>{@code decode}: one op = one greedily generated token with a KV cache, batch 1, after a
 *       16-token prompt; after 128 tokens the cache is reset and the prompt fed again (untimed).</li>
 * </ul>
 * The {@code tokens} counter gives tokens/s: 1024 per training step, 1 per decoded token.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 6)
@Measurement(iterations = 3, time = 6)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC", "-Xmx8g"})
public class TrainStepBench {
    static final int HIDDEN = 512, LAYERS = 8, HEADS = 8, KV_HEADS = 2, FFN = 2048, VOCAB = 32000, SEQ = 256, BATCH = 4;
    static final int PROMPT = 16, NEW_TOKENS = 128, LORA_RANK = 16;
    static final float LORA_ALPHA = 32;

    @Param({"full", "lora", "decode"})
    public String mode;

    private Transformer model;
    private List<Tensor> parameters;
    private Tensor ids;
    private KvCache cache;
    private int next, generated = NEW_TOKENS;

    @Setup(Level.Trial)
    public void setup() {
        Generator gen = new Generator(0);
        model = Transformer.create(config(), (name, shape) -> init(gen, name, shape), mode.equals("full"));
        if (mode.equals("lora")) addLora(model, gen);
        parameters = model.trainableParameters();
        int[] tokens = new int[BATCH * SEQ];
        for (int i = 0; i < tokens.length; i++) tokens[i] = gen.nextInt(VOCAB);
        ids = Tensor.ofInts(tokens, BATCH, SEQ);
        cache = model.newCache(1, PROMPT + NEW_TOKENS);
    }

    /** Decode: a fresh prompt once the previous generation has its 128 tokens. Not timed. */
    @Setup(Level.Invocation)
    public void refill() {
        if (!mode.equals("decode") || generated < NEW_TOKENS) return;
        cache.reset();
        try (var ignored = Tensor.noGrad()) {
            next = greedy(ids.narrow(0, 0, 1).narrow(1, 0, PROMPT).contiguous());
        }
        generated = 0;
    }

    @Benchmark
    public Object run(TokenCounters counters) {
        if (mode.equals("decode")) {
            try (var ignored = Tensor.noGrad()) {
                next = greedy(Tensor.ofInts(new int[]{next}, 1, 1));
            }
            generated++;
            counters.tokens++;
            return next;
        }
        Tensor loss = model.causalLmLoss(ids, null, ids, CrossEntropy.Reduction.MEAN);
        loss.backward();
        for (Tensor p : parameters) p.zeroGrad();
        counters.tokens += (long) BATCH * SEQ;
        return loss;
    }

    /** Feeds ids [1, t] through the cache and returns the most likely next token. */
    private int greedy(Tensor step) {
        Tensor h = model.hidden(step, null, cache);
        Tensor logits = model.lmLogits(h.narrow(1, h.size(1) - 1, 1));
        return (int) logits.reshape(-1).argmax(0, false).getLong();
    }

    /** The peer's model as a Llama config.json (no tied embeddings, θ = 10000, ε = 1e-5). */
    static ModelConfig config() {
        return llama(HIDDEN, FFN, LAYERS, HEADS, KV_HEADS, VOCAB, 2048, "TrainStepBench");
    }

    /** A random-weight Llama's config.json of these sizes (no tied embeddings, θ = 10000, ε = 1e-5). */
    static ModelConfig llama(int hidden, int ffn, int layers, int heads, int kvHeads, int vocab, int maxPositions, String origin) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode c = json.createObjectNode();
        c.put("model_type", "llama");
        c.putArray("architectures").add("LlamaForCausalLM");
        c.put("hidden_size", hidden);
        c.put("intermediate_size", ffn);
        c.put("num_hidden_layers", layers);
        c.put("num_attention_heads", heads);
        c.put("num_key_value_heads", kvHeads);
        c.put("vocab_size", vocab);
        c.put("max_position_embeddings", maxPositions);
        c.put("rms_norm_eps", 1e-5);
        c.put("rope_theta", 10000.0);
        c.put("tie_word_embeddings", false);
        c.put("hidden_act", "silu");
        return ModelConfig.parse(c, Path.of(origin, "config.json"));
    }

    /** As torch initialises the peer: N(0, 1) embeddings, U(±1/√in) projections, norms of ones. */
    static Tensor init(Generator gen, String name, int[] shape) {
        if (shape.length == 1) return Tensor.ones(shape);
        if (name.contains("embed_tokens")) return Tensor.randn(gen, 1f, shape);
        float bound = (float) (1 / Math.sqrt(shape[1]));
        return Tensor.uniform(gen, -bound, bound, shape);
    }

    /** LoRA on q_proj and v_proj of every layer: A ~ N(0, 0.01²), B = 0, scale α/r. */
    static void addLora(Transformer model, Generator gen) {
        for (DecoderLayer layer : model.layers())
            for (String name : new String[]{"self_attn.q_proj", "self_attn.v_proj"}) {
                var base = layer.projections().get(name);
                Tensor a = Tensor.randn(gen, 0.01f, LORA_RANK, base.inFeatures()).requiresGrad(true);
                Tensor b = Tensor.zeros(base.outFeatures(), LORA_RANK).requiresGrad(true);
                layer.replace(name, new LoraLinear(base, a, b, LORA_ALPHA / LORA_RANK, 0f, null));
            }
    }
}
