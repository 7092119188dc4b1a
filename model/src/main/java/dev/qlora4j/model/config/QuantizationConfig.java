package dev.qlora4j.model.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.model.json.JsonFields;
import dev.qlora4j.model.json.JsonFiles;
import dev.qlora4j.tensor.BadInputException;
import dev.qlora4j.tensor.DType;
import dev.qlora4j.tensor.quant.QuantState;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * 4-bit (QLoRA) quantization of a model's linear projections, in the terms of transformers'
 * {@code BitsAndBytesConfig}: read from config.json's {@code quantization_config} (a checkpoint
 * saved 4-bit), or given for quantize-on-load ({@code load_in_4bit}). Only NF4 is supported.
 *
 * @param doubleQuant  bnb_4bit_use_double_quant: the absmax values are themselves 8-bit quantized
 * @param computeDtype bnb_4bit_compute_dtype: what bitsandbytes computes in (this engine computes in F32)
 * @param quantStorage bnb_4bit_quant_storage: the torch dtype holding the packed bytes ("uint8")
 * @param skipModules  llm_int8_skip_modules: modules left unquantized; null = transformers' default
 *                     (the output head: lm_head, or score for classifiers)
 * @param blocksize    elements per absmax block (bitsandbytes' default 64; not part of BitsAndBytesConfig)
 */
public record QuantizationConfig(boolean doubleQuant, DType computeDtype, String quantStorage, List<String> skipModules,
                                 int blocksize) {
    /** What transformers leaves in full precision when llm_int8_skip_modules is not given. */
    public static final List<String> DEFAULT_SKIP = List.of("lm_head", "score");
    private static final List<String> STORAGE = List.of("uint8", "int8", "bfloat16", "float16", "float32", "float64",
            "int16", "int32", "int64");

    public QuantizationConfig {
        if (!QuantState.BLOCKSIZES.contains(blocksize))
            throw new IllegalArgumentException("4-bit blocksize " + blocksize + " is not one of " + QuantState.BLOCKSIZES);
        if (computeDtype != DType.F32 && computeDtype != DType.BF16 && computeDtype != DType.F16)
            throw new IllegalArgumentException("compute dtype " + computeDtype);
        skipModules = skipModules == null ? null : List.copyOf(skipModules);
    }

    /** NF4 with bitsandbytes' defaults (block size 64, F32 compute, uint8 storage, default skips). */
    public static QuantizationConfig nf4(boolean doubleQuant) {
        return new QuantizationConfig(doubleQuant, DType.F32, "uint8", null, 64);
    }

    public QuantizationConfig withBlocksize(int size) {
        return new QuantizationConfig(doubleQuant, computeDtype, quantStorage, skipModules, size);
    }

    public QuantizationConfig withComputeDtype(DType dtype) {
        return new QuantizationConfig(doubleQuant, dtype, quantStorage, skipModules, blocksize);
    }

    public QuantizationConfig withSkipModules(List<String> modules) {
        return new QuantizationConfig(doubleQuant, computeDtype, quantStorage, modules, blocksize);
    }

    /**
     * Whether the linear module of that name (e.g. "model.layers.0.mlp.up_proj", "lm_head") is
     * quantized: transformers' {@code should_convert_module}, which leaves a module alone when a
     * skip entry matches it as a regex from its start or ends it.
     */
    public boolean quantizes(String module) {
        for (String key : skipModules == null ? DEFAULT_SKIP : skipModules) {
            if (module.endsWith(key)) return false;
            try {
                if (Pattern.compile(key).matcher(module).lookingAt()) return false;
            } catch (PatternSyntaxException e) {
                throw BadInputException.at("llm_int8_skip_modules", "entry \"" + key + "\" is not a valid regular expression");
            }
        }
        return true;
    }

    /** The quantization_config of {@code path} (a model folder or its config.json), or null when it has none. */
    public static QuantizationConfig load(Path path) {
        Path file = Files.isDirectory(path) ? path.resolve("config.json") : path;
        if (!Files.exists(file)) throw BadInputException.at(file.toString(), "file not found");
        return fromConfig(JsonFiles.readObject(file), file);
    }

    /** Reads config.json's quantization_config as transformers' BitsAndBytesConfig.from_dict would; null when absent. */
    public static QuantizationConfig fromConfig(ObjectNode root, Path file) {
        JsonFields top = new JsonFields(root, file.toString());
        if (!top.has("quantization_config")) return null;
        JsonFields q = top.optObject("quantization_config");
        String method = q.stringOr("quant_method", "bitsandbytes");
        if (!method.equals("bitsandbytes"))
            throw BadInputException.at(q.where("quant_method") + "; supported: bitsandbytes (4-bit NF4)",
                    "unsupported quantization method \"" + method + "\"");
        if (flag(q, "load_in_8bit"))
            throw q.invalid("load_in_8bit", "is true: 8-bit (LLM.int8) checkpoints are not supported, only 4-bit NF4");
        if (!flag(q, "load_in_4bit")) throw q.invalid("load_in_4bit", "must be true: only 4-bit bitsandbytes checkpoints are supported");
        // BitsAndBytesConfig's default quant type is fp4
        String type = q.stringOr("bnb_4bit_quant_type", "fp4");
        if (!type.equals("nf4"))
            throw q.invalid("bnb_4bit_quant_type", "is \"" + type + "\": only nf4 is supported" + (type.equals("fp4") ? " (FP4 is not)" : ""));
        String compute = q.stringOr("bnb_4bit_compute_dtype", "float32");
        DType computeDtype = DTypeNames.fromTorch(compute);
        if (computeDtype == null || computeDtype == DType.F64)
            throw q.invalid("bnb_4bit_compute_dtype", "must be float32, bfloat16 or float16, got \"" + compute + "\"");
        String storage = q.stringOr("bnb_4bit_quant_storage", "uint8");
        String bare = storage.startsWith("torch.") ? storage.substring(6) : storage;
        if (!STORAGE.contains(bare))
            throw q.invalid("bnb_4bit_quant_storage", "must be one of " + STORAGE + ", got \"" + storage + "\"");
        List<String> skip = q.has("llm_int8_skip_modules") ? q.optStringList("llm_int8_skip_modules") : null;
        if (skip != null)
            for (String key : skip)
                try {
                    Pattern.compile(key);
                } catch (PatternSyntaxException e) {
                    throw q.invalid("llm_int8_skip_modules", "entry \"" + key + "\" is not a valid regular expression");
                }
        return new QuantizationConfig(q.boolOr("bnb_4bit_use_double_quant", false), computeDtype, bare, skip, 64);
    }

    /** load_in_4bit / load_in_8bit, also under transformers' private "_load_in_…" names. */
    private static boolean flag(JsonFields q, String key) {
        return q.has(key) ? q.boolOr(key, false) : q.boolOr("_" + key, false);
    }

    /**
     * The quantization_config transformers 5 writes into config.json for this configuration
     * ({@code BitsAndBytesConfig.to_dict()}; save_pretrained sorts the keys).
     */
    public Map<String, Object> toTransformersDict() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("_load_in_4bit", true);
        m.put("_load_in_8bit", false);
        m.put("bnb_4bit_compute_dtype", DTypeNames.toTorch(computeDtype));
        m.put("bnb_4bit_quant_storage", quantStorage);
        m.put("bnb_4bit_quant_type", "nf4");
        m.put("bnb_4bit_use_double_quant", doubleQuant);
        m.put("llm_int8_enable_fp32_cpu_offload", false);
        m.put("llm_int8_has_fp16_weight", false);
        m.put("llm_int8_skip_modules", skipModules == null ? null : new ArrayList<>(skipModules));
        m.put("llm_int8_threshold", 6.0);
        m.put("load_in_4bit", true);
        m.put("load_in_8bit", false);
        m.put("quant_method", "bitsandbytes");
        return m;
    }
}
