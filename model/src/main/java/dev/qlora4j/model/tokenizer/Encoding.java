package dev.qlora4j.model.tokenizer;

import java.util.Arrays;
import java.util.List;

/**
 * The result of {@link Tokenizer#encode}: token ids and, position by position, the token strings
 * tokenizers reports (vocabulary strings, byte-level characters included; for an added token the
 * matched text, with any whitespace its lstrip/rstrip took).
 */
public record Encoding(int[] ids, List<String> tokens) {
    public Encoding {
        if (ids.length != tokens.size()) {
            throw new IllegalArgumentException(ids.length + " ids but " + tokens.size() + " tokens");
        }
    }

    public int size() {
        return ids.length;
    }

    @Override
    public int[] ids() {
        return ids.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Encoding e && Arrays.equals(ids, e.ids) && tokens.equals(e.tokens);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(ids) + tokens.hashCode();
    }

    @Override
    public String toString() {
        return "Encoding" + Arrays.toString(ids) + tokens;
    }
}
