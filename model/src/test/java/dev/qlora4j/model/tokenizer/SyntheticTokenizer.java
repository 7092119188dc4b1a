package dev.qlora4j.model.tokenizer;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a Llama-3-sized byte-level tokenizer.json (128k tokens, 280k merges, 7-9 MB): the byte
 * alphabet, then all strings over a few letters, each merged from its prefix and last letter,
 * and further merges giving other splits of the same tokens (as converted tiktoken vocabularies
 * have).
 */
final class SyntheticTokenizer {
    private SyntheticTokenizer() {}

    static void write(Path file, int vocabSize, int mergeCount) throws IOException {
        List<String> tokens = new ArrayList<>();
        Map<String, Integer> vocab = new HashMap<>();
        for (int b = 0; b < 256; b++) {
            String alpha = String.valueOf(ByteLevelAlphabet.charOf(b));
            vocab.put(alpha, tokens.size());
            tokens.add(alpha);
        }
        // every string over a small alphabet, shortest first: each new token is its prefix plus one
        // character, and all its other splits are tokens too
        String letters = "etaoinsrĠãĢĤ";
        List<String> merges0 = new ArrayList<>();
        List<String> frontier = new ArrayList<>();
        for (char c : letters.toCharArray()) {
            frontier.add(String.valueOf(c));
        }
        while (tokens.size() < vocabSize) {
            List<String> next = new ArrayList<>();
            for (String prefix : frontier) {
                for (char c : letters.toCharArray()) {
                    if (tokens.size() >= vocabSize) {
                        break;
                    }
                    String t = prefix + c;
                    vocab.put(t, tokens.size());
                    tokens.add(t);
                    merges0.add(t);
                    next.add(t);
                }
            }
            frontier = next;
        }
        List<String[]> merges = new ArrayList<>();
        Set<String> pairs = new HashSet<>();
        for (String t : merges0) {
            String a = t.substring(0, t.length() - 1);
            String b = t.substring(t.length() - 1);
            merges.add(new String[] {a, b});
            pairs.add(a + " " + b);
        }
        outer:
        for (String t : merges0) {
            for (int k = 1; k < t.length() - 1; k++) {
                if (merges.size() >= mergeCount) {
                    break outer;
                }
                String a = t.substring(0, k);
                String b = t.substring(k);
                if (pairs.add(a + " " + b)) {
                    merges.add(new String[] {a, b});
                }
            }
        }
        if (merges.size() < mergeCount) {
            throw new IllegalStateException("only " + merges.size() + " merges");
        }
        try (JsonGenerator g = new ObjectMapper().getFactory().createGenerator(file.toFile(), JsonEncoding.UTF8)) {
            g.useDefaultPrettyPrinter(); // tokenizers saves pretty-printed JSON
            g.writeStartObject();
            g.writeStringField("version", "1.0");
            g.writeArrayFieldStart("added_tokens");
            for (String special : List.of("<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>")) {
                g.writeStartObject();
                g.writeNumberField("id", vocab.size() + List.of("<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>").indexOf(special));
                g.writeStringField("content", special);
                g.writeBooleanField("special", true);
                g.writeBooleanField("normalized", false);
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeNullField("normalizer");
            g.writeFieldName("pre_tokenizer");
            g.writeRawValue("{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Split\",\"pattern\":{\"Regex\":"
                    + new ObjectMapper().writeValueAsString(LLAMA3) + "},\"behavior\":\"Isolated\",\"invert\":false},"
                    + "{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":true,\"use_regex\":false}]}");
            g.writeNullField("post_processor");
            g.writeFieldName("decoder");
            g.writeRawValue("{\"type\":\"ByteLevel\",\"add_prefix_space\":true,\"trim_offsets\":true,\"use_regex\":true}");
            g.writeObjectFieldStart("model");
            g.writeStringField("type", "BPE");
            g.writeBooleanField("ignore_merges", true);
            g.writeObjectFieldStart("vocab");
            for (String t : tokens) {
                g.writeNumberField(t, vocab.get(t));
            }
            g.writeEndObject();
            g.writeArrayFieldStart("merges");
            for (String[] m : merges) {
                g.writeStartArray();
                g.writeString(m[0]);
                g.writeString(m[1]);
                g.writeEndArray();
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndObject();
        }
    }

    static final String LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

}
