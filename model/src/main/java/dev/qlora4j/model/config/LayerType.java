package dev.qlora4j.model.config;

/** Attention kind of one decoder layer, as config.json's {@code layer_types} names it. */
public enum LayerType {
    FULL_ATTENTION("full_attention"),
    SLIDING_ATTENTION("sliding_attention");

    private final String hfName;

    LayerType(String hfName) {
        this.hfName = hfName;
    }

    public String hfName() {
        return hfName;
    }

    public static LayerType fromHfName(String name) {
        for (LayerType t : values()) if (t.hfName.equals(name)) return t;
        return null;
    }
}
