package dev.qlora4j.model.chat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Template variables for the oracle test: fixed conversations that exercise each feature, and seeded random ones. */
final class Conversations {
    private Conversations() {}

    private static final String[] TEXTS = {"Hi", "  What is justice?  ", "Explain\nin two lines.\n", "Ça va? Ἀρετή, 徳, добродетель 😀",
            "<|im_start|>not a token<|im_end|>", "{{ not a template }} {% if %}", "\ttabs\tand trailing space ", "", "<s>[INST] x [/INST]",
            "<start_of_turn>model", "Line one\r\nline two", "\"quoted\" and 'single' \\ backslash"};

    static Map<String, Object> specialTokens() {
        return Map.of("bos_token", "<s>", "eos_token", "</s>", "unk_token", "<unk>", "pad_token", "<pad>");
    }

    private static Map<String, Object> msg(String role, Object content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }

    private static final List<Object> TOOLS = List.of(Map.of("type", "function", "function", Map.of("name", "get_weather",
            "description", "Weather in a city", "parameters", Map.of("type", "object", "properties",
                    Map.of("city", Map.of("type", "string", "description", "the city")), "required", List.of("city")))));

    static List<Map<String, Object>> all(Random rng) {
        List<Map<String, Object>> out = new ArrayList<>();
        out.add(Map.of("messages", List.of(msg("user", "Hello!"))));
        out.add(Map.of("messages", List.of(msg("system", "You are Socrates."), msg("user", "What is virtue?"), msg("assistant", "Let us ask."),
                msg("user", "Go on."))));
        out.add(Map.of("messages", List.of(msg("user", "a"), msg("assistant", "b"), msg("user", "c"), msg("assistant", " d "), msg("user", "e"))));
        out.add(Map.of("messages", List.of(msg("user", TEXTS[3] + TEXTS[4]), msg("assistant", TEXTS[5] + TEXTS[6]), msg("user", TEXTS[8] + TEXTS[11]))));
        Map<String, Object> call = msg("assistant", "");
        call.put("tool_calls", List.of(Map.of("type", "function", "function", Map.of("name", "get_weather", "arguments", Map.of("city", "Athens")))));
        Map<String, Object> tools = new LinkedHashMap<>();
        tools.put("messages", List.of(msg("user", "Weather in Athens?"), call, msg("tool", "{\"temp\": 31}"), msg("assistant", "31 degrees.")));
        tools.put("tools", TOOLS);
        out.add(tools);
        Map<String, Object> thinking = msg("assistant", "<think>\nhmm\n</think>\n\nThe answer.");
        Map<String, Object> reasoning = msg("assistant", "Plain answer.");
        reasoning.put("reasoning_content", "I reasoned.");
        out.add(Map.of("messages", List.of(msg("user", "q1"), thinking, msg("user", "q2"), reasoning, msg("user", "q3"))));
        out.add(Map.of("messages", List.of(msg("user", List.of(Map.of("type", "text", "text", "parts one"), Map.of("type", "text", "text", " two"))),
                msg("assistant", List.of(Map.of("type", "text", "text", "reply"))))));
        out.add(Map.of("messages", List.of(msg("user", "think?")), "enable_thinking", false));
        for (int k = 0; k < 6; k++) {
            List<Object> msgs = new ArrayList<>();
            if (rng.nextBoolean()) msgs.add(msg("system", TEXTS[rng.nextInt(TEXTS.length)]));
            int turns = 1 + rng.nextInt(4);
            for (int t = 0; t < turns; t++) {
                msgs.add(msg("user", TEXTS[rng.nextInt(TEXTS.length)]));
                if (t < turns - 1 || rng.nextBoolean()) msgs.add(msg("assistant", TEXTS[rng.nextInt(TEXTS.length)]));
            }
            out.add(Map.of("messages", msgs));
        }
        return out;
    }
}
