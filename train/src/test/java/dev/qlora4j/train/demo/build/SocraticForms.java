package dev.qlora4j.train.demo.build;

import java.util.List;
import java.util.Random;

/**
 * The question and answer shapes of one language. A question form asks about a subject in a
 * given way; its answer is put together from moves a Socratic teacher makes (ask what the word
 * means, test a definition against a case, ask who could teach it, turn the question back),
 * each written several ways and chosen with a seeded random source.
 */
interface SocraticForms {
    /** Question forms per subject: 0, 1 ask what it is; 2 and 6 offer a definition; 3 teaching; 4 why care; 5 how to; 7 hard case. */
    int FORMS = 8;

    String question(SocraticTopic t, int form);

    String answer(SocraticTopic t, int form, Random rng);

    /** The asker's reply to the clarifying question of forms 0 and 1, choosing one sense. */
    String reply(SocraticTopic t, boolean firstSense, Random rng);

    /** The teacher's next turn after {@link #reply}. */
    String followUp(SocraticTopic t, boolean firstSense, Random rng);

    static String pick(Random rng, String... options) {
        return options[rng.nextInt(options.length)];
    }

    static String join(String... parts) {
        return String.join(" ", List.of(parts).stream().filter(p -> !p.isEmpty()).toList());
    }
}
