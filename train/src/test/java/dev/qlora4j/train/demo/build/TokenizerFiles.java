package dev.qlora4j.train.demo.build;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a learned {@link ByteLevelBpeTrainer.Vocabulary} as a Llama-3-style tokenizer folder:
 * tokenizer.json takes the pipeline of the byte-level fixture (made by the tokenizers library:
 * split regex, ByteLevel pre-tokenizer and decoder, BOS post-processor) with the new model and
 * special-token ids; tokenizer_config.json carries the special tokens and the fixture's chat template.
 */
final class TokenizerFiles {
    static final List<String> SPECIALS = List.of("<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
            "<|eot_id|>", "<|pad|>");
    static final Path FIXTURE = Path.of("fixtures", "hf", "tokenizers", "bytelevel-bpe");

    private static final ObjectMapper JSON = new ObjectMapper();

    private TokenizerFiles() {}

    /** The id of a special token: they follow the learned vocabulary in {@link #SPECIALS} order. */
    static int specialId(ByteLevelBpeTrainer.Vocabulary v, String token) {
        return v.tokens().size() + SPECIALS.indexOf(token);
    }

    static void write(ByteLevelBpeTrainer.Vocabulary v, Path fixtureDir, Path out) throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(fixtureDir.resolve("tokenizer.json").toFile());
        ArrayNode added = root.putArray("added_tokens");
        for (String s : SPECIALS) {
            ObjectNode t = added.addObject();
            t.put("id", specialId(v, s));
            t.put("content", s);
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        ObjectNode bos = (ObjectNode) root.path("post_processor").path("special_tokens").path("<|begin_of_text|>");
        bos.putArray("ids").add(specialId(v, "<|begin_of_text|>"));
        ObjectNode model = (ObjectNode) root.get("model");
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < v.tokens().size(); i++) vocab.put(v.tokens().get(i), i);
        ArrayNode merges = model.putArray("merges");
        for (String[] m : v.merges()) merges.addArray().add(m[0]).add(m[1]);
        Files.createDirectories(out);
        Files.writeString(out.resolve("tokenizer.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");

        Map<String, Object> config = new LinkedHashMap<>();
        config.put("bos_token", "<|begin_of_text|>");
        config.put("eos_token", "<|eot_id|>");
        config.put("pad_token", "<|pad|>");
        config.put("model_max_length", 1024);
        config.put("clean_up_tokenization_spaces", false);
        config.put("tokenizer_class", "PreTrainedTokenizerFast");
        config.put("chat_template", Files.readString(fixtureDir.resolve("chat_template.jinja")));
        Files.writeString(out.resolve("tokenizer_config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config) + "\n");
    }
}
