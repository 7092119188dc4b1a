package dev.qlora4j.train.demo.build;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The demo's Socratic dialogue set: every subject asked in every question form, in English and
 * Japanese; forms 0 and 1 also as a two-turn dialogue in which the asker picks a sense and the
 * teacher presses on. One form per subject and language (a different one for each subject) is
 * held out for evaluation, so the evaluation questions are never seen in training.
 */
final class SocraticDataset {
    static final String TRAIN_FILE = "socratic_train.jsonl", EVAL_FILE = "socratic_eval.jsonl";

    record Dialogue(String language, int topic, int form, boolean held, List<Map<String, String>> messages) {}

    private SocraticDataset() {}

    static List<Dialogue> build(long seed) {
        List<Dialogue> all = new ArrayList<>();
        Random rng = new Random(seed);
        addLanguage(all, "en", SocraticTopicsEn.ALL, new SocraticFormsEn(), rng);
        addLanguage(all, "ja", SocraticTopicsJa.ALL, new SocraticFormsJa(), rng);
        return all;
    }

    private static void addLanguage(List<Dialogue> out, String lang, List<SocraticTopic> topics, SocraticForms forms, Random rng) {
        // the English and Japanese sets hold out different forms of the same subject
        int shift = lang.equals("en") ? 0 : 3;
        for (int i = 0; i < topics.size(); i++) {
            SocraticTopic t = topics.get(i);
            int heldForm = (i * 5 + shift) % SocraticForms.FORMS;
            for (int form = 0; form < SocraticForms.FORMS; form++) {
                boolean held = form == heldForm;
                String q = forms.question(t, form);
                out.add(new Dialogue(lang, i, form, held, List.of(user(q), assistant(forms.answer(t, form, rng)))));
                if (form <= 1) {
                    boolean first = rng.nextBoolean();
                    out.add(new Dialogue(lang, i, form, held, List.of(user(q), assistant(forms.answer(t, form, rng)),
                            user(forms.reply(t, first, rng)), assistant(forms.followUp(t, first, rng)))));
                }
            }
        }
    }

    private static Map<String, String> user(String text) {
        return message("user", text);
    }

    private static Map<String, String> assistant(String text) {
        return message("assistant", text);
    }

    private static Map<String, String> message(String role, String text) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", text);
        return m;
    }

    /** Writes the training and evaluation files ({"messages": [...]} a line) into {@code dir}. */
    static void write(List<Dialogue> dialogues, Path dir) throws IOException {
        ObjectMapper json = new ObjectMapper();
        StringBuilder train = new StringBuilder(), eval = new StringBuilder();
        for (Dialogue d : dialogues)
            (d.held() ? eval : train).append(json.writeValueAsString(Map.of("messages", d.messages()))).append('\n');
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(TRAIN_FILE), train);
        Files.writeString(dir.resolve(EVAL_FILE), eval);
    }
}
