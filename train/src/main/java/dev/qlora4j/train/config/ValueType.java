package dev.qlora4j.train.config;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/**
 * What one config key accepts: reads a JSON value into a Java value, or reports why it cannot.
 * {@link Types} has the kinds in use.
 *
 * @param <T> the Java type of the value
 */
public interface ValueType<T> {
    /**
     * The value of {@code v} (never JSON null), or null after adding one problem to
     * {@code problems} in the form {@code "path" must be …}.
     */
    T read(JsonNode v, String path, List<String> problems);

    /** What is accepted, in words, for the key table and {@code --help-config} (e.g. "integer ≥ 1"). */
    String describe();

    /** The value as written to training_config.json. */
    default Object toJson(T value) {
        return value;
    }

    /** The same values seen as {@code U} ({@code back} turns them into {@code T} again for training_config.json). */
    default <U> ValueType<U> let(java.util.function.Function<T, U> to, java.util.function.Function<U, T> back) {
        return Types.map(this, to, back);
    }
}
