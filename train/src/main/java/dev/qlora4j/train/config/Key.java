package dev.qlora4j.train.config;

import java.util.List;

/**
 * One config key, declared once in {@link ConfigKeys}: where it lives, its name (and older HF
 * names still accepted), what it accepts, its default and one line of help. The parser, the
 * saved training_config.json, {@code train --help-config} and the README's key table all come
 * from these declarations.
 *
 * @param block        the block it belongs to (the top level, {@code lora}, {@code quantization}, {@code monitor})
 * @param section      its group in the key table (data, batching, optimizer, …)
 * @param name         the name, as TrainingArguments / SFTConfig / LoraConfig / BitsAndBytesConfig spell it
 * @param aliases      older names accepted for it (TRL's max_seq_length, HF's evaluation_strategy)
 * @param type         what it accepts
 * @param defaultValue its value when not given; null when absent means "not set" or a default
 *                     that depends on other keys ({@code defaultText} says which)
 * @param defaultText  the default in words for the docs
 * @param help         one line
 * @param inert        accepted for compatibility with HF configs, changes nothing here
 * @param <T>          the Java type of its value
 */
public record Key<T>(Block block, String section, String name, List<String> aliases, ValueType<T> type, T defaultValue,
                     String defaultText, String help, boolean inert) {
    /** The full name, {@code lora.r} for a key of the lora block. */
    public String path() {
        return block.isTop() ? name : block.name() + "." + name;
    }

    @Override
    public String toString() {
        return path();
    }
}
