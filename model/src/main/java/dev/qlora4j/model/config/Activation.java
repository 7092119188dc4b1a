package dev.qlora4j.model.config;

/** The MLP activations of the supported families, by their transformers ACT2FN names. */
public enum Activation {
    SILU("silu"),
    /** GELU with the tanh approximation (Gemma's {@code gelu_pytorch_tanh}). */
    GELU_TANH("gelu_pytorch_tanh"),
    /** Exact (erf) GELU. */
    GELU("gelu");

    private final String hfName;

    Activation(String hfName) {
        this.hfName = hfName;
    }

    public String hfName() {
        return hfName;
    }

    /** The activation transformers maps {@code name} to, or null when we do not implement it. */
    public static Activation fromHfName(String name) {
        return switch (name) {
            case "silu", "swish" -> SILU;
            case "gelu_pytorch_tanh", "gelu_new", "gelu_fast" -> GELU_TANH;
            case "gelu" -> GELU;
            default -> null;
        };
    }

    static String supported() {
        return "silu, swish, gelu_pytorch_tanh, gelu_new, gelu_fast, gelu";
    }
}
