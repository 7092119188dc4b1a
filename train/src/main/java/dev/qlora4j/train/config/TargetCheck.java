package dev.qlora4j.train.config;

import dev.qlora4j.model.config.ModelConfig;
import dev.qlora4j.model.lora.LoraConfig;
import dev.qlora4j.model.lora.LoraModel;
import dev.qlora4j.model.nn.DecoderLayer;
import dev.qlora4j.tensor.BadInputException;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code lora} block against the model's config.json, before any weight is read: every
 * target module must name a projection of the model (PEFT only fails when none does, which lets
 * a misspelt name in a list go unnoticed), and layers_to_transform must name existing layers.
 */
public final class TargetCheck {
    private TargetCheck() {}

    public static void check(LoraConfig lora, ModelConfig model) {
        List<String> problems = new ArrayList<>();
        int layers = model.numHiddenLayers();
        if (lora.layersToTransform() != null)
            for (int i : lora.layersToTransform())
                if (i >= layers) problems.add("\"lora.layers_to_transform\": layer " + i + " does not exist (the model has " + layers + ", 0 to " + (layers - 1) + ")");
        List<String> modules = new ArrayList<>();
        for (int i = 0; i < layers; i++) for (String p : DecoderLayer.PROJECTIONS) modules.add("model.layers." + i + "." + p);
        List<String> targets = lora.targetModules();
        if (lora.targetRegex() || targets.equals(List.of(LoraConfig.ALL_LINEAR))) {
            if (modules.stream().noneMatch(m -> LoraModel.targeted(lora, m)))
                problems.add("\"lora.target_modules\": " + Types.quoted(targets.getFirst()) + " matches no module of the model"
                        + layersNote(lora));
        } else {
            Set<String> names = new LinkedHashSet<>();
            for (String p : DecoderLayer.PROJECTIONS) {
                names.add(p.substring(p.indexOf('.') + 1));
                names.add(p);
            }
            for (String t : targets) {
                LoraConfig one = LoraConfig.of(1, 1, 0, List.of(t), null);
                LoraConfig single = new LoraConfig(1, 1, 0, List.of(t), false, lora.layersToTransform(), null, false, null, null, null, null);
                if (modules.stream().anyMatch(m -> LoraModel.targeted(single, m))) continue;
                boolean elsewhere = lora.layersToTransform() != null && modules.stream().anyMatch(m -> LoraModel.targeted(one, m));
                String hint = elsewhere ? layersNote(lora)
                        : Suggest.nearest(t, names).map(s -> " (did you mean \"" + s + "\"?)")
                        .orElse(" (each layer has " + String.join(", ", names.stream().filter(n -> !n.contains(".")).toList()) + ")");
                problems.add("\"lora.target_modules\": \"" + t + "\" matches no module of the model" + hint);
            }
        }
        if (!problems.isEmpty()) throw BadInputException.at(model.file().toString(), String.join("; ", problems));
    }

    private static String layersNote(LoraConfig lora) {
        return lora.layersToTransform() == null ? "" : " in layers_to_transform " + lora.layersToTransform();
    }
}
