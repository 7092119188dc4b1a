package dev.qlora4j.model.quant;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.model.chat.PyJson;
import dev.qlora4j.model.config.ModelConfig;
import dev.qlora4j.model.config.QuantizationConfig;
import dev.qlora4j.model.config.Task;
import dev.qlora4j.model.json.JsonFiles;
import dev.qlora4j.model.nn.DecoderLayer;
import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.tensor.DType;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.tensor.io.SafetensorsCheckpoint;
import dev.qlora4j.tensor.io.SafetensorsFile;
import dev.qlora4j.tensor.io.SafetensorsWriter;
import dev.qlora4j.tensor.quant.Nf4Quantizer;
import dev.qlora4j.tensor.quant.Nf4StateDict;
import dev.qlora4j.tensor.quant.Nf4Weight;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Writes a model folder as transformers' {@code save_pretrained} writes a model loaded with
 * {@code BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", ...)}: every decoder
 * projection (and the head, if the skip list does not spare it) as the bitsandbytes 4-bit keys,
 * everything else in its stored dtype, in one {@code model.safetensors} with metadata
 * {@code {"format": "pt"}}; config.json gains {@code quantization_config} and is written as
 * transformers writes it (keys sorted, indent 2, Python number formatting); other files of the
 * folder (tokenizer, generation config, chat template, ...) are copied.
 */
public final class Nf4Checkpoints {
    private Nf4Checkpoints() {}

    /**
     * @param parameters   elements of the quantized weights
     * @param bytes        bytes of every tensor that stands for them (packed codes, absmax, nested
     *                     absmax, code maps, quant_state JSON)
     * @param bitsPerParam 8·bytes / parameters
     */
    public record Result(long parameters, long bytes, double bitsPerParam) {
    }

    /**
     * Quantizes the projections of the model in {@code in} into a new folder {@code out} (created
     * if needed; files of the same names are replaced). bnb_4bit_compute_dtype is recorded as the
     * model's dtype (float32 when config.json states none).
     */
    public static Result quantize(Path in, Path out, boolean doubleQuant, int blocksize) {
        ModelConfig cfg = ModelConfig.load(in);
        DType compute = cfg.dtype() == DType.BF16 || cfg.dtype() == DType.F16 ? cfg.dtype() : DType.F32;
        QuantizationConfig q;
        try {
            q = QuantizationConfig.nf4(doubleQuant).withBlocksize(blocksize).withComputeDtype(compute);
        } catch (IllegalArgumentException e) {
            throw BadInputException.at("blocksize", e.getMessage());
        }
        return quantize(in, out, q);
    }

    /** As {@link #quantize(Path, Path, boolean, int)} with every setting of {@code q}. */
    public static Result quantize(Path in, Path out, QuantizationConfig q) {
        ModelConfig cfg = ModelConfig.load(in);
        ObjectNode root = JsonFiles.readObject(cfg.file());
        if (root.hasNonNull("quantization_config"))
            throw BadInputException.at(cfg.file() + ": quantization_config", "the model is already quantized");
        try {
            if (Files.exists(out) && Files.isSameFile(in, out))
                throw BadInputException.at(out.toString(), "the output folder must differ from the input folder");
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new BadInputException("cannot create the output folder: " + e.getMessage() + " (" + out + ")", e);
        }
        Set<String> linears = linearModules(cfg);
        long params = 0, bytes = 0;
        Set<String> sourceFiles = new HashSet<>();
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(in)) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (String name : ckpt.names()) {
                String module = name.endsWith(".weight") ? name.substring(0, name.length() - ".weight".length()) : null;
                if (module != null && linears.contains(module) && q.quantizes(module)) {
                    String where = ckpt.fileOf(name).path() + ", tensor \"" + name + "\"";
                    Tensor source = ckpt.tensor(name);
                    Nf4Weight w = Nf4Quantizer.quantize(source, q.blocksize(), q.doubleQuant(), where);
                    source.releaseMappedPages();
                    Map<String, Tensor> keys = Nf4StateDict.toStateDict(name, w);
                    params += w.numel();
                    for (Tensor t : keys.values()) bytes += t.numel() * t.dtype().byteSize();
                    tensors.putAll(keys);
                } else {
                    tensors.put(name, ckpt.tensor(name));
                }
            }
            for (SafetensorsFile f : ckpt.files()) sourceFiles.add(f.path().getFileName().toString());
            SafetensorsWriter.write(out.resolve(SafetensorsCheckpoint.SINGLE_FILE), tensors, Map.of("format", "pt"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        root.set("quantization_config", JsonFiles.mapper().valueToTree(q.toTransformersDict()));
        writeConfig(out.resolve("config.json"), root);
        sourceFiles.add(SafetensorsCheckpoint.INDEX_FILE);
        sourceFiles.add("config.json");
        copyOtherFiles(Files.isDirectory(in) ? in : cfg.file().getParent(), out, sourceFiles);
        return new Result(params, bytes, params == 0 ? 0 : 8.0 * bytes / params);
    }

    /** The names of the model's nn.Linear modules, as transformers names them. */
    static Set<String> linearModules(ModelConfig cfg) {
        Set<String> out = new LinkedHashSet<>();
        for (int i = 0; i < cfg.numHiddenLayers(); i++)
            for (String p : DecoderLayer.PROJECTIONS) out.add("model.layers." + i + "." + p);
        if (cfg.task() == Task.SEQUENCE_CLASSIFICATION) out.add("score");
        else if (!cfg.tieWordEmbeddings()) out.add("lm_head");
        return out;
    }

    /** transformers' {@code to_json_string}: json.dumps(indent=2, sort_keys=True) and a newline. */
    private static void writeConfig(Path file, ObjectNode root) {
        Object value = JsonFiles.mapper().convertValue(root, Object.class);
        String text = new PyJson("  ", null, true, true).write(value) + "\n";
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void copyOtherFiles(Path in, Path out, Set<String> skip) {
        try (Stream<Path> files = Files.list(in)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                if (!Files.isRegularFile(f) || skip.contains(name) || name.startsWith(".")) continue;
                Files.copy(f, out.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
