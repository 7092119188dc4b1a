package dev.qlora4j.model.config;

import dev.qlora4j.model.config.RopeConfig.RopeType;
import dev.qlora4j.model.json.JsonFields;
import dev.qlora4j.tensor.BadInputException;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;

/**
 * Reads the rope settings the way transformers 5 standardises them: a non-empty
 * {@code rope_scaling} (older files) wins over {@code rope_parameters}; inside the chosen dict its
 * own {@code rope_theta} wins over the top-level one, which wins over the class default; the type
 * is {@code rope_type}, else the legacy {@code type}, else "default"; llama3 without
 * {@code original_max_position_embeddings} uses max_position_embeddings.
 */
final class RopeParser {
    private RopeParser() {}

    static RopeConfig parse(JsonFields cfg, double defaultTheta, int maxPositionEmbeddings, List<LayerType> layerTypes) {
        Double topTheta = cfg.optDouble("rope_theta");
        double theta = topTheta != null ? topTheta : defaultTheta;
        Double topPartial = cfg.optDouble("partial_rotary_factor");

        JsonFields params = nonEmptyObject(cfg, "rope_scaling");
        if (params == null) params = nonEmptyObject(cfg, "rope_parameters");
        if (params == null) return new RopeConfig(RopeType.DEFAULT, theta, 1.0, Double.NaN, Double.NaN, 0,
                topPartial == null ? 1.0 : topPartial);

        List<JsonFields> perLayerType = perLayerType(params, layerTypes);
        if (perLayerType == null) return parseOne(params, theta, topPartial, maxPositionEmbeddings);
        // A dict per layer type (written for models whose sliding layers use another base). Our
        // families share one rotary table across layers, so every entry must say the same.
        RopeConfig first = null;
        for (JsonFields p : perLayerType) {
            RopeConfig r = parseOne(p, theta, topPartial, maxPositionEmbeddings);
            if (first == null) first = r;
            else if (!first.equals(r))
                throw BadInputException.at(params.location(),
                        "different rope parameters per layer type are not supported: " + first.summary() + " vs " + r.summary());
        }
        return first;
    }

    private static JsonFields nonEmptyObject(JsonFields cfg, String key) {
        JsonFields o = cfg.optObject(key);
        return o == null || o.node().isEmpty() ? null : o;
    }

    /** The per-layer-type dicts when every key of {@code params} names a layer type, else null. */
    private static List<JsonFields> perLayerType(JsonFields params, List<LayerType> layerTypes) {
        if (layerTypes == null) return null;
        List<JsonFields> out = new ArrayList<>();
        for (Iterator<String> it = params.node().fieldNames(); it.hasNext(); ) {
            String key = it.next();
            LayerType t = LayerType.fromHfName(key);
            if (t == null || !layerTypes.contains(t)) return null;
            out.add(params.optObject(key));
        }
        out.removeIf(Objects::isNull);
        return out.isEmpty() ? null : out;
    }

    private static RopeConfig parseOne(JsonFields p, double fallbackTheta, Double topPartial, int maxPositions) {
        String typeKey = p.has("rope_type") ? "rope_type" : "type";
        String typeName = p.stringOr(typeKey, "default");
        RopeType type = RopeType.fromHfName(typeName);
        if (type == null)
            throw BadInputException.at(p.where(typeKey) + "; supported: " + RopeType.supported(),
                    "unsupported rope type \"" + typeName + "\"");
        double theta = p.doubleOr("rope_theta", fallbackTheta);
        if (!(theta > 0)) throw p.invalid("rope_theta", "must be positive, got " + theta);
        Double ownPartial = p.optDouble("partial_rotary_factor");
        double partial = ownPartial != null ? ownPartial : topPartial != null ? topPartial : 1.0;
        if (!(partial > 0 && partial <= 1)) throw p.invalid("partial_rotary_factor", "must be in (0, 1], got " + partial);
        return switch (type) {
            case DEFAULT -> new RopeConfig(type, theta, 1.0, Double.NaN, Double.NaN, 0, partial);
            case LINEAR, DYNAMIC -> new RopeConfig(type, theta, factor(p), Double.NaN, Double.NaN, 0, partial);
            case LLAMA3 -> {
                double low = p.requireDouble("low_freq_factor"), high = p.requireDouble("high_freq_factor");
                if (!(high > low)) throw p.invalid("high_freq_factor", "must be greater than low_freq_factor (" + low + "), got " + high);
                if (!(low > 0)) throw p.invalid("low_freq_factor", "must be positive, got " + low);
                int original = p.has("original_max_position_embeddings")
                        ? p.requirePositiveInt("original_max_position_embeddings") : maxPositions;
                yield new RopeConfig(type, theta, factor(p), low, high, original, partial);
            }
        };
    }

    private static double factor(JsonFields p) {
        double f = p.requireDouble("factor");
        if (!(f > 0)) throw p.invalid("factor", "must be positive, got " + f);
        return f;
    }
}
