package dev.qlora4j.train.demo;

import dev.qlora4j.tensor.Generator;

import java.util.List;
import java.util.TreeSet;

/**
 * The demo's built-in data: sentences from a small seeded grammar, encoded character by
 * character. Regular enough that a tiny model learns it in a few dozen steps.
 */
final class DemoCorpus {
    private static final List<String> SUBJECTS = List.of("the cat", "a dog", "the old sailor", "my sister",
            "the small robot", "a tired farmer", "the teacher", "our neighbour");
    private static final List<String> VERBS = List.of("sees", "paints", "carries", "finds", "likes", "follows");
    private static final List<String> OBJECTS = List.of("a red boat", "the green door", "two apples",
            "the quiet river", "a long letter", "the blue kite");
    private static final List<String> PLACES = List.of("at dawn", "in the garden", "near the sea",
            "after lunch", "on monday", "by the lamp");

    final String text;
    final char[] alphabet;
    private final int[] index = new int[Character.MAX_VALUE + 1];

    DemoCorpus(Generator gen, int sentences) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < sentences; i++) {
            sb.append(pick(gen, SUBJECTS)).append(' ').append(pick(gen, VERBS)).append(' ')
                    .append(pick(gen, OBJECTS)).append(' ').append(pick(gen, PLACES)).append(". ");
        }
        text = sb.toString();
        TreeSet<Character> chars = new TreeSet<>();
        for (char c : text.toCharArray()) chars.add(c);
        alphabet = new char[chars.size()];
        int i = 0;
        for (char c : chars) {
            index[c] = i;
            alphabet[i++] = c;
        }
    }

    private static String pick(Generator gen, List<String> words) {
        return words.get(gen.nextInt(words.size()));
    }

    int vocab() {
        return alphabet.length;
    }

    /** ids of text[start, start + length). */
    int[] encode(int start, int length) {
        int[] ids = new int[length];
        for (int i = 0; i < length; i++) ids[i] = index[text.charAt(start + i)];
        return ids;
    }
}
