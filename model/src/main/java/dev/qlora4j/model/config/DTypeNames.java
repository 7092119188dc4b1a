package dev.qlora4j.model.config;

import dev.qlora4j.tensor.DType;

/** torch dtype names as config.json writes them ("bfloat16", sometimes "torch.bfloat16"). */
final class DTypeNames {
    static final String SUPPORTED = "float32, bfloat16, float16, float64";

    private DTypeNames() {}

    static DType fromTorch(String name) {
        String n = name.startsWith("torch.") ? name.substring("torch.".length()) : name;
        return switch (n) {
            case "float32", "float" -> DType.F32;
            case "bfloat16" -> DType.BF16;
            case "float16", "half" -> DType.F16;
            case "float64", "double" -> DType.F64;
            default -> null;
        };
    }

    static String toTorch(DType t) {
        return switch (t) {
            case F32 -> "float32";
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            case F64 -> "float64";
            default -> t.name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
