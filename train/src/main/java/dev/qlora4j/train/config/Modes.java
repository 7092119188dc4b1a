package dev.qlora4j.train.config;

import java.util.List;

/** The enumerated modes of a training config, by their TrainingArguments names (the constant's name in lower case). */
public final class Modes {
    private Modes() {}

    /** {@code logging_strategy}, {@code eval_strategy}: HF's IntervalStrategy. */
    public enum IntervalStrategy implements Types.Named {
        NO, STEPS, EPOCH;
    }

    /** {@code save_strategy}: HF's SaveStrategy (IntervalStrategy plus "best"). */
    public enum SaveStrategy implements Types.Named {
        NO, STEPS, EPOCH, BEST;
    }

    /** {@code optim}: the AdamW variants HF offers that this trainer runs; the 8-bit ones keep 8-bit moments. */
    public enum Optim implements Types.Named {
        ADAMW_TORCH, ADAMW_TORCH_FUSED, ADAMW_HF, PAGED_ADAMW_32BIT, ADAMW_8BIT, PAGED_ADAMW_8BIT, ADAMW_BNB_8BIT;

        /** bitsandbytes' 8-bit AdamW (block-wise quantized moments). */
        public boolean eightBit() {
            return this == ADAMW_8BIT || this == PAGED_ADAMW_8BIT || this == ADAMW_BNB_8BIT;
        }
    }

    /** {@code device}. */
    public enum Device implements Types.Named {
        CPU, CUDA;
    }

    /** {@code metric_for_best_model}: an evaluation metric, with or without HF's "eval_" prefix. */
    public enum BestMetric implements Types.Named {
        LOSS, PERPLEXITY, ACCURACY, LOG_LOSS;

        /** The name with HF's prefix; {@link #configName()} is the name in the evaluation's results ("eval_" + it). */
        public List<String> aliases() {
            return List.of("eval_" + configName());
        }

        /** HF's greater_is_better default: true for metrics other than losses. */
        public boolean greaterIsBetter() {
            return this == ACCURACY;
        }
    }
}
