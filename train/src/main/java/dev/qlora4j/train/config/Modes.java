package dev.qlora4j.train.config;

import java.util.List;

/** The enumerated modes of a training config, by their TrainingArguments names. */
public final class Modes {
    private Modes() {}

    /** {@code logging_strategy}, {@code eval_strategy}: HF's IntervalStrategy. */
    public enum IntervalStrategy implements Types.Named {
        NO, STEPS, EPOCH;

        public String configName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** {@code save_strategy}: HF's SaveStrategy (IntervalStrategy plus "best"). */
    public enum SaveStrategy implements Types.Named {
        NO, STEPS, EPOCH, BEST;

        public String configName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** {@code optim}: the AdamW variants HF offers that this trainer runs; the 8-bit ones keep 8-bit moments. */
    public enum Optim implements Types.Named {
        ADAMW_TORCH("adamw_torch"), ADAMW_TORCH_FUSED("adamw_torch_fused"), ADAMW_HF("adamw_hf"), PAGED_ADAMW_32BIT("paged_adamw_32bit"),
        ADAMW_8BIT("adamw_8bit"), PAGED_ADAMW_8BIT("paged_adamw_8bit"), ADAMW_BNB_8BIT("adamw_bnb_8bit");

        private final String name;

        Optim(String name) {
            this.name = name;
        }

        public String configName() {
            return name;
        }

        /** bitsandbytes' 8-bit AdamW (block-wise quantized moments). */
        public boolean eightBit() {
            return this == ADAMW_8BIT || this == PAGED_ADAMW_8BIT || this == ADAMW_BNB_8BIT;
        }
    }

    /** {@code device}. */
    public enum Device implements Types.Named {
        CPU, CUDA;

        public String configName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** {@code metric_for_best_model}: an evaluation metric, with or without HF's "eval_" prefix. */
    public enum BestMetric implements Types.Named {
        LOSS, PERPLEXITY, ACCURACY, LOG_LOSS;

        /** The name without the prefix, as in the evaluation's results ("eval_" + this). */
        public String configName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public List<String> aliases() {
            return List.of("eval_" + configName());
        }

        /** HF's greater_is_better default: true for metrics other than losses. */
        public boolean greaterIsBetter() {
            return this == ACCURACY;
        }
    }
}
