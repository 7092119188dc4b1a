package dev.qlora4j.model.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlora4j.tensor.BadInputException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The special tokens transformers passes to every template (its special_tokens_map):
 * bos_token, eos_token, ... as strings, read from tokenizer_config.json where each is a string or
 * an AddedToken object {"content": ...}.
 */
final class SpecialTokens {
    static final List<String> NAMES = List.of("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token");
    private static final List<String> LISTS = List.of("additional_special_tokens", "extra_special_tokens");

    private SpecialTokens() {}

    static Map<String, Object> read(ObjectNode config, String where) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (config == null) return out;
        for (String name : NAMES) {
            String token = content(config.get(name), where + ": " + name);
            if (token != null) out.put(name, token);
        }
        for (String name : LISTS) {
            JsonNode list = config.get(name);
            if (list == null || !list.isArray()) continue;
            List<String> tokens = new ArrayList<>();
            for (JsonNode t : list) {
                String token = content(t, where + ": " + name);
                if (token != null) tokens.add(token);
            }
            out.put(name, tokens);
        }
        return out;
    }

    private static String content(JsonNode t, String where) {
        if (t == null || t.isNull()) return null;
        if (t.isTextual()) return t.textValue();
        JsonNode c = t.get("content");
        if (t.isObject() && c != null && c.isTextual()) return c.textValue();
        throw BadInputException.at(where, "special token must be a string or an object with a string \"content\"");
    }
}
