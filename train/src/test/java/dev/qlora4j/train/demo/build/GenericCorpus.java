package dev.qlora4j.train.demo.build;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The base model's pretraining corpus: short passages of plain statements and short chats in
 * which the assistant answers directly, half English and half Japanese, drawn from
 * {@link GenericFactsEn} and {@link GenericFactsJa} with a seeded random source.
 */
final class GenericCorpus {
    /** One document: plain text, or a conversation (then {@code text} is null). */
    record Doc(String text, List<Map<String, String>> messages) {}

    private GenericCorpus() {}

    static List<Doc> build(long seed, int documents) {
        Random rng = new Random(seed);
        GenericFacts en = GenericFactsEn.build(), ja = GenericFactsJa.build();
        List<Doc> docs = new ArrayList<>(documents);
        for (int i = 0; i < documents; i++) {
            boolean english = rng.nextBoolean();
            GenericFacts f = english ? en : ja;
            docs.add(rng.nextBoolean() ? passage(f, english, rng) : chat(f, english, rng));
        }
        return docs;
    }

    private static Doc passage(GenericFacts f, boolean english, Random rng) {
        int n = 3 + rng.nextInt(5);
        List<String> s = new ArrayList<>();
        for (int i = 0; i < n; i++) s.add(f.statements().get(rng.nextInt(f.statements().size())));
        return new Doc(String.join(english ? " " : "", s), null);
    }

    private static Doc chat(GenericFacts f, boolean english, Random rng) {
        List<Map<String, String>> m = new ArrayList<>();
        if (rng.nextInt(4) == 0) {
            m.add(message("user", f.greetings().get(rng.nextInt(f.greetings().size()))));
            m.add(message("assistant", english ? "Hello! What would you like to know?" : "こんにちは。何について知りたいですか？"));
        }
        int turns = 1 + rng.nextInt(3);
        for (int i = 0; i < turns; i++) {
            GenericFacts.Qa qa = f.pairs().get(rng.nextInt(f.pairs().size()));
            m.add(message("user", qa.question()));
            m.add(message("assistant", qa.answer()));
        }
        if (rng.nextInt(4) == 0) {
            m.add(message("user", f.thanks().get(rng.nextInt(f.thanks().size()))));
            m.add(message("assistant", english ? "You're welcome." : "どういたしまして。"));
        }
        return new Doc(null, m);
    }

    private static Map<String, String> message(String role, String content) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }
}
