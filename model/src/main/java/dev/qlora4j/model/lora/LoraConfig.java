package dev.qlora4j.model.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.model.json.JsonFields;
import dev.qlora4j.model.json.JsonFiles;
import dev.qlora4j.tensor.BadInputException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * PEFT's LoraConfig, with its names and meanings.
 *
 * @param r                 rank of the adapters
 * @param loraAlpha         scale numerator: scale = α/r (α/√r with rsLoRA)
 * @param loraDropout       dropout on the adapter's input while training
 * @param targetModules     module names (a module is targeted when its name equals one or ends with
 *                          "." + one), or one regular expression the whole name must match, or
 *                          "all-linear" (every projection of the decoder layers)
 * @param targetRegex       true when targetModules holds a single regular expression (PEFT: a str)
 * @param layersToTransform only these layer indices get adapters (null: all)
 * @param modulesToSave     modules trained in full and saved with the adapter (e.g. the score head)
 * @param useRslora         scale α/√r instead of α/r
 * @param rankPattern       per-module rank overrides: regex key → r
 * @param alphaPattern      per-module alpha overrides: regex key → α
 * @param taskType          CAUSAL_LM, SEQ_CLS, ... (SEQ_CLS adds "classifier" and "score" to modulesToSave, as PEFT does)
 * @param baseModelNameOrPath written into adapter_config.json for reference
 */
public record LoraConfig(int r, double loraAlpha, double loraDropout, List<String> targetModules, boolean targetRegex,
                         List<Integer> layersToTransform, List<String> modulesToSave, boolean useRslora,
                         Map<String, Integer> rankPattern, Map<String, Double> alphaPattern, String taskType,
                         String baseModelNameOrPath) {
    public static final String ALL_LINEAR = "all-linear";

    public LoraConfig {
        targetModules = List.copyOf(targetModules);
        layersToTransform = layersToTransform == null ? null : List.copyOf(layersToTransform);
        modulesToSave = modulesToSave == null ? List.of() : List.copyOf(modulesToSave);
        rankPattern = rankPattern == null ? Map.of() : Map.copyOf(rankPattern);
        alphaPattern = alphaPattern == null ? Map.of() : Map.copyOf(alphaPattern);
        if (r <= 0) throw new IllegalArgumentException("LoRA rank r must be positive, got " + r);
        if (loraDropout < 0 || loraDropout >= 1) throw new IllegalArgumentException("lora_dropout must be in [0, 1), got " + loraDropout);
        if (targetModules.isEmpty()) throw new IllegalArgumentException("target_modules is empty");
    }

    /** The common case: named targets, no patterns. */
    public static LoraConfig of(int r, double alpha, double dropout, List<String> targets, String taskType) {
        return new LoraConfig(r, alpha, dropout, targets, false, null, null, false, null, null, taskType, null);
    }

    /** The modules trained in full: the configured ones, plus PEFT's defaults for the task type. */
    public List<String> effectiveModulesToSave() {
        List<String> m = new ArrayList<>(modulesToSave);
        if ("SEQ_CLS".equals(taskType)) for (String head : List.of("classifier", "score")) if (!m.contains(head)) m.add(head);
        return m;
    }

    /** Reads adapter_config.json (a file, or the adapter folder holding it). */
    public static LoraConfig load(Path fileOrDir) {
        Path file = Files.isDirectory(fileOrDir) ? fileOrDir.resolve("adapter_config.json") : fileOrDir;
        if (!Files.isRegularFile(file)) throw BadInputException.at(file.toString(), "adapter_config.json not found");
        return fromJson(JsonFiles.readObject(file), file.toString());
    }

    /** Interprets PEFT adapter_config.json fields (also the {@code lora} block of a training config). */
    public static LoraConfig fromJson(ObjectNode node, String where) {
        JsonFields f = new JsonFields(node, where);
        String peftType = f.optString("peft_type");
        if (peftType != null && !peftType.equals("LORA"))
            throw f.invalid("peft_type", "is \"" + peftType + "\"; only LORA adapters are supported");
        for (String unsupported : List.of("use_dora", "fan_in_fan_out", "use_qalora"))
            if (f.boolOr(unsupported, false)) throw f.invalid(unsupported, "is true; this is not supported");
        String bias = f.stringOr("bias", "none");
        if (!bias.equals("none")) throw f.invalid("bias", "is \"" + bias + "\"; only \"none\" is supported");
        JsonNode targets = f.get("target_modules");
        List<String> names;
        boolean regex = false;
        if (targets == null) throw f.missing("target_modules");
        if (targets.isTextual()) {
            regex = !targets.asText().equals(ALL_LINEAR);
            names = List.of(targets.asText());
        } else {
            names = f.optStringList("target_modules");
        }
        List<Integer> layers = f.has("layers_to_transform") ? f.intOrIntList("layers_to_transform") : null;
        Map<String, Integer> ranks = new LinkedHashMap<>();
        Map<String, Double> alphas = new LinkedHashMap<>();
        JsonFields rp = f.optObject("rank_pattern"), ap = f.optObject("alpha_pattern");
        if (rp != null) rp.node().fieldNames().forEachRemaining(k -> ranks.put(k, rp.requirePositiveInt(k)));
        if (ap != null) ap.node().fieldNames().forEachRemaining(k -> alphas.put(k, ap.requireDouble(k)));
        try {
            return new LoraConfig(f.requirePositiveInt("r"), f.doubleOr("lora_alpha", 8), f.doubleOr("lora_dropout", 0),
                    names, regex, layers, f.optStringList("modules_to_save"), f.boolOr("use_rslora", false), ranks, alphas,
                    f.optString("task_type"), f.optString("base_model_name_or_path"));
        } catch (IllegalArgumentException e) {
            throw BadInputException.at(where, e.getMessage());
        }
    }

    /** adapter_config.json as PEFT writes it (the fields PEFT reads back; the rest at their defaults). */
    public ObjectNode toJson() {
        ObjectNode n = JsonFiles.mapper().createObjectNode();
        n.putPOJO("alpha_pattern", alphaPattern);
        n.put("base_model_name_or_path", baseModelNameOrPath);
        n.put("bias", "none");
        n.put("fan_in_fan_out", false);
        n.put("inference_mode", true);
        n.put("init_lora_weights", true);
        if (layersToTransform == null) n.putNull("layers_to_transform");
        else n.putPOJO("layers_to_transform", layersToTransform);
        n.putNull("layers_pattern");
        if (loraAlpha == Math.rint(loraAlpha)) n.put("lora_alpha", (long) loraAlpha);
        else n.put("lora_alpha", loraAlpha);
        n.put("lora_dropout", loraDropout);
        List<String> save = effectiveModulesToSave();
        if (save.isEmpty()) n.putNull("modules_to_save");
        else n.putPOJO("modules_to_save", save);
        n.put("peft_type", "LORA");
        n.put("r", r);
        n.putPOJO("rank_pattern", rankPattern);
        n.put("revision", (String) null);
        if (targetRegex || targetModules.equals(List.of(ALL_LINEAR))) n.put("target_modules", targetModules.getFirst());
        else n.putPOJO("target_modules", targetModules);
        n.put("task_type", taskType);
        n.put("use_dora", false);
        n.put("use_rslora", useRslora);
        return n;
    }
}
