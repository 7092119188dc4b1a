package dev.qlora4j.model.chat;

import java.util.LinkedHashMap;
import java.util.Map;

/** One chat turn with the two keys every template reads. Turns with more keys are passed as maps. */
public record Message(String role, String content) {
    public static Message system(String content) {
        return new Message("system", content);
    }

    public static Message user(String content) {
        return new Message("user", content);
    }

    public static Message assistant(String content) {
        return new Message("assistant", content);
    }

    /** {"role": role, "content": content}, the dict transformers hands the template. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }
}
