package dev.qlora4j.model.lora;

import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.tensor.DType;
import dev.qlora4j.tensor.MatMul;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.tensor.io.SafetensorsCheckpoint;
import dev.qlora4j.tensor.io.SafetensorsFile;
import dev.qlora4j.tensor.io.SafetensorsWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * PEFT's {@code merge_and_unload}, written to disk: every adapted weight becomes
 * {@code W + scale·B·A} (computed in F32, stored back in the checkpoint's dtype), a trainable head
 * copy replaces the head, and everything else is copied unchanged, so the output is a plain HF
 * model folder (config.json, tokenizer files, one model.safetensors).
 */
public final class LoraMerge {
    private LoraMerge() {}

    public static void merge(Path modelDir, Path adapterDir, Path outDir) throws IOException {
        if (Files.exists(outDir) && Files.isSameFile(modelDir, outDir))
            throw BadInputException.at(outDir.toString(), "the output folder must not be the model folder");
        if (Files.exists(modelDir.resolve("config.json"))
                && Files.readString(modelDir.resolve("config.json")).contains("\"quantization_config\""))
            throw BadInputException.at(modelDir.toString(), "the base model is quantized; merge the adapter into the "
                    + "original (unquantized) model instead");
        LoraConfig config = LoraConfig.load(adapterDir);
        Map<String, Tensor> merged = new LinkedHashMap<>();
        try (SafetensorsCheckpoint base = SafetensorsCheckpoint.open(modelDir);
             SafetensorsFile adapter = SafetensorsFile.open(adapterDir.resolve(LoraModel.WEIGHTS_FILE))) {
            Map<String, Tensor> adapterTensors = new LinkedHashMap<>();
            for (String k : adapter.names()) adapterTensors.put(k, adapter.tensor(k));
            for (String name : base.names()) merged.put(name, base.tensor(name));
            for (Map.Entry<String, Tensor> e : adapterTensors.entrySet()) {
                String key = e.getKey();
                if (!key.startsWith("base_model.model."))
                    throw BadInputException.at(adapter.path() + ", tensor \"" + key + "\"", "not a PEFT adapter key");
                String module = key.substring("base_model.model.".length());
                if (module.endsWith(".lora_B.weight")) continue;
                if (module.endsWith(".lora_A.weight")) {
                    String m = module.substring(0, module.length() - ".lora_A.weight".length());
                    mergeOne(config, base, adapter, merged, m, e.getValue(), adapterTensors.get("base_model.model." + m + ".lora_B.weight"));
                } else {
                    // a modules_to_save copy (the head): it replaces the base tensor of the same name
                    if (!merged.containsKey(module))
                        throw BadInputException.at(adapter.path() + ", tensor \"" + key + "\"", "no tensor \"" + module + "\" in the base model");
                    merged.put(module, e.getValue().to(merged.get(module).dtype()));
                }
            }
            Files.createDirectories(outDir);
            SafetensorsWriter.write(outDir.resolve("model.safetensors"), merged, Map.of("format", "pt"));
        }
        copyModelFiles(modelDir, outDir);
    }

    private static void mergeOne(LoraConfig config, SafetensorsCheckpoint base, SafetensorsFile adapter, Map<String, Tensor> merged,
                                 String module, Tensor a, Tensor b) {
        String weightName = module + ".weight";
        if (b == null) throw BadInputException.at(adapter.path().toString(), "missing tensor \"base_model.model." + module + ".lora_B.weight\"");
        Tensor w = merged.get(weightName);
        if (w == null) throw BadInputException.at(adapter.path().toString(), "the base model has no \"" + weightName + "\" to merge into");
        int r = a.size(0);
        if (a.rank() != 2 || b.rank() != 2 || b.size(1) != r || b.size(0) != w.size(0) || a.size(1) != w.size(1))
            throw BadInputException.at(adapter.path() + ", tensor \"base_model.model." + module + ".lora_A.weight\"",
                    "adapter shapes do not fit " + weightName);
        double alpha = config.loraAlpha();
        float scale = (float) (config.useRslora() ? alpha / Math.sqrt(r) : alpha / r);
        try (var ignored = Tensor.noGrad()) {
            // ΔW [out, in] = B [out, r] · A [r, in]
            Tensor delta = MatMul.linear(b.to(DType.F32), a.to(DType.F32).t().contiguous(), null);
            merged.put(weightName, w.to(DType.F32).add(delta.mul(scale)).to(w.dtype()));
        }
    }

    /** config.json, generation config, tokenizer and chat template files — everything that is not weights. */
    private static void copyModelFiles(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                String n = f.getFileName().toString();
                if (!Files.isRegularFile(f) || n.endsWith(".safetensors") || n.equals(SafetensorsCheckpoint.INDEX_FILE)) continue;
                Files.copy(f, to.resolve(n), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
