package dev.qlora4j.model.lora;

import dev.qlora4j.model.nn.DecoderLayer;
import dev.qlora4j.model.nn.DenseLinear;
import dev.qlora4j.model.nn.Linear;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.tensor.DType;
import dev.qlora4j.tensor.Generator;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.tensor.io.SafetensorsFile;
import dev.qlora4j.tensor.io.SafetensorsWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * LoRA adapters on a {@link Transformer}, as PEFT's {@code get_peft_model} puts them there: the
 * targeted projections become {@link LoraLinear}s over the frozen base, and modules_to_save (the
 * classifier head) become trainable copies. Reads and writes PEFT adapter folders
 * ({@code adapter_config.json} + {@code adapter_model.safetensors}, keys
 * {@code base_model.model.<module>.lora_A.weight} / {@code .lora_B.weight} /
 * {@code base_model.model.<head>.weight}).
 */
public final class LoraModel {
    public static final String CONFIG_FILE = "adapter_config.json", WEIGHTS_FILE = "adapter_model.safetensors";
    private static final String PREFIX = "base_model.model.";
    /** PEFT's default layer-index pattern: the number after the module list ("layers.3."). */
    private static final Pattern LAYER_INDEX = Pattern.compile(".*\\.[^.]*\\.(\\d+)\\.");

    private final Transformer model;
    private final LoraConfig config;
    /** Module name (model.layers.N.self_attn.q_proj) → its adapter, in model order. */
    private final Map<String, LoraLinear> adapters;
    /** The head's module name and its trainable copy, when the head is in modules_to_save. */
    private final String savedHead;

    private LoraModel(Transformer model, LoraConfig config, Map<String, LoraLinear> adapters, String savedHead) {
        this.model = model;
        this.config = config;
        this.adapters = adapters;
        this.savedHead = savedHead;
    }

    /**
     * New adapters, initialised as PEFT does: A kaiming-uniform (a = √5, i.e. U(±1/√in)), B zeros,
     * so the adapted model starts equal to the base.
     */
    public static LoraModel attach(Transformer model, LoraConfig config, Generator init, Generator dropout) {
        return build(model, config, dropout, (name, r, in, out) -> {
            float bound = (float) (1 / Math.sqrt(in));
            return new Tensor[]{Tensor.uniform(init, -bound, bound, r, in), Tensor.zeros(out, r)};
        }, null);
    }

    /** Adapters read from a PEFT adapter folder, checked against the model key by key. */
    public static LoraModel load(Transformer model, Path adapterDir, Generator dropout) {
        LoraConfig config = LoraConfig.load(adapterDir);
        Path weights = adapterDir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(weights)) throw BadInputException.at(adapterDir.toString(), "no " + WEIGHTS_FILE + " in the adapter folder");
        try (SafetensorsFile file = SafetensorsFile.open(weights)) {
            Set<String> unused = new LinkedHashSet<>(file.names());
            LoraModel lora = build(model, config, dropout, (name, r, in, out) -> new Tensor[]{
                    take(file, unused, PREFIX + name + ".lora_A.weight", r, in),
                    take(file, unused, PREFIX + name + ".lora_B.weight", out, r)}, head -> take(file, unused, PREFIX + head + ".weight",
                    model.head().outFeatures(), model.head().inFeatures()));
            if (!unused.isEmpty())
                throw BadInputException.at(weights + ", tensor \"" + unused.iterator().next() + "\"",
                        "the adapter has a tensor this model and adapter_config.json do not use");
            return lora;
        }
    }

    private interface Init {
        /** A [r, in] and B [out, r] for the module. */
        Tensor[] create(String module, int r, int in, int out);
    }

    private static LoraModel build(Transformer model, LoraConfig config, Generator dropout, Init init,
                                   java.util.function.Function<String, Tensor> headWeights) {
        Map<String, LoraLinear> adapters = new LinkedHashMap<>();
        for (DecoderLayer layer : model.layers()) {
            for (Map.Entry<String, Linear> p : layer.projections().entrySet()) {
                String name = "model.layers." + layer.index() + "." + p.getKey();
                if (!targeted(config, name)) continue;
                int r = patternValue(config.rankPattern(), name, config.r());
                double alpha = patternValue(config.alphaPattern(), name, config.loraAlpha());
                Linear base = p.getValue();
                Tensor[] ab = init.create(name, r, base.inFeatures(), base.outFeatures());
                float scale = (float) (config.useRslora() ? alpha / Math.sqrt(r) : alpha / r);
                LoraLinear lora = new LoraLinear(base, ab[0].requiresGrad(true), ab[1].requiresGrad(true), scale,
                        (float) config.loraDropout(), config.loraDropout() > 0 ? dropout : null);
                layer.replace(p.getKey(), lora);
                adapters.put(name, lora);
            }
        }
        if (adapters.isEmpty())
            throw new BadInputException("target_modules " + config.targetModules() + " match no projection of the model"
                    + (config.layersToTransform() == null ? "" : " in layers " + config.layersToTransform()));
        String headName = model.config().task() == dev.qlora4j.model.config.Task.SEQUENCE_CLASSIFICATION ? "score" : "lm_head";
        String savedHead = null;
        for (String m : config.effectiveModulesToSave()) {
            if (m.equals(headName) || headName.endsWith("." + m)) savedHead = headName;
            else if (m.equals("embed_tokens") || m.endsWith(".embed_tokens"))
                throw new BadInputException("modules_to_save \"" + m + "\" is not supported (only the head: " + headName + ")");
        }
        if (savedHead != null) {
            Tensor w = headWeights == null ? ((DenseLinear) model.head()).weight().to(DType.F32).copy() : headWeights.apply(savedHead);
            model.replaceHead(new DenseLinear(w.requiresGrad(true), null));
        }
        return new LoraModel(model, config, adapters, savedHead);
    }

    /** PEFT's check_target_module_exists for our module names ({@code model.layers.N.self_attn.q_proj}, …). */
    public static boolean targeted(LoraConfig config, String name) {
        boolean found;
        List<String> targets = config.targetModules();
        if (targets.equals(List.of(LoraConfig.ALL_LINEAR))) found = true;
        else if (config.targetRegex()) found = Pattern.compile(targets.getFirst()).matcher(name).matches();
        else found = targets.stream().anyMatch(t -> name.equals(t) || name.endsWith("." + t));
        if (found && config.layersToTransform() != null) {
            Matcher m = LAYER_INDEX.matcher(name);
            found = m.lookingAt() && config.layersToTransform().contains(Integer.parseInt(m.group(1)));
        }
        return found;
    }

    /** rank_pattern / alpha_pattern: the first key whose regex matches the end of the module name. */
    private static <T> T patternValue(Map<String, T> patterns, String name, T fallback) {
        for (Map.Entry<String, T> e : patterns.entrySet())
            if (Pattern.compile("(.*\\.)?(" + e.getKey() + ")").matcher(name).matches()) return e.getValue();
        return fallback;
    }

    private static Tensor take(SafetensorsFile file, Set<String> unused, String key, int rows, int cols) {
        if (!file.contains(key)) throw BadInputException.at(file.path().toString(), "missing tensor \"" + key + "\"");
        int[] shape = file.info(key).shape();
        if (shape.length != 2 || shape[0] != rows || shape[1] != cols)
            throw BadInputException.at(file.path() + ", tensor \"" + key + "\"", "shape " + java.util.Arrays.toString(shape)
                    + " does not fit the model, which needs [" + rows + ", " + cols + "]");
        unused.remove(key);
        return file.copyOf(key).to(DType.F32).contiguous();
    }

    public LoraConfig config() {
        return config;
    }

    public Transformer model() {
        return model;
    }

    /** The adapters by module name. */
    public Map<String, LoraLinear> adapters() {
        return java.util.Collections.unmodifiableMap(adapters);
    }

    /** Every trainable tensor by its PEFT state-dict key, in model order. */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> sd = new LinkedHashMap<>();
        adapters.forEach((name, l) -> {
            sd.put(PREFIX + name + ".lora_A.weight", l.loraA());
            sd.put(PREFIX + name + ".lora_B.weight", l.loraB());
        });
        if (savedHead != null) sd.put(PREFIX + savedHead + ".weight", ((DenseLinear) model.head()).weight());
        return sd;
    }

    public List<Tensor> trainableParameters() {
        return new ArrayList<>(stateDict().values());
    }

    /** Dropout on or off (training or evaluation). */
    public void setTraining(boolean training) {
        for (LoraLinear l : adapters.values()) l.setTraining(training);
    }

    /** Writes adapter_config.json and adapter_model.safetensors into {@code dir} (each atomically). */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path tmp = dir.resolve(CONFIG_FILE + ".tmp");
        Files.writeString(tmp, dev.qlora4j.model.json.JsonFiles.mapper().writerWithDefaultPrettyPrinter()
                .writeValueAsString(config.toJson()));
        Files.move(tmp, dir.resolve(CONFIG_FILE), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        Map<String, Tensor> detached = new LinkedHashMap<>();
        stateDict().forEach((k, v) -> detached.put(k, v.detach()));
        SafetensorsWriter.write(dir.resolve(WEIGHTS_FILE), detached, Map.of("format", "pt"));
    }
}
