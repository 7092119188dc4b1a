package dev.qlora4j.train.demo.build;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Learns a byte-level BPE vocabulary: texts are split into pieces with (a java.util.regex
 * rendering of) the Llama-3 split pattern, each piece becomes its UTF-8 bytes written in the
 * byte-level alphabet, and the most frequent adjacent pair is merged until the vocabulary has
 * the size asked for. Ties go to the pair whose joined text sorts first, so the result does not
 * depend on hash order.
 */
final class ByteLevelBpeTrainer {
    /** The Llama-3 split pattern (the tokenizer.json keeps the original for tokenizers' regex engine). */
    private static final Pattern SPLIT = Pattern.compile(
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    /** The learned model: tokens by id (the 256 byte symbols first) and the merges in rank order. */
    record Vocabulary(List<String> tokens, List<String[]> merges) {}

    private ByteLevelBpeTrainer() {}

    /** GPT-2's byte → character table: printable bytes stand for themselves, the rest move to U+0100 and up. */
    static String[] byteAlphabet() {
        String[] table = new String[256];
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE;
            table[b] = String.valueOf((char) (printable ? b : next++));
        }
        return table;
    }

    static Vocabulary train(List<String> texts, int vocabSize) {
        String[] alphabet = byteAlphabet();
        Map<String, Integer> wordCounts = new LinkedHashMap<>();
        for (String text : texts) {
            Matcher m = SPLIT.matcher(text);
            while (m.find()) wordCounts.merge(m.group(), 1, Integer::sum);
        }
        List<String> tokens = new ArrayList<>(List.of(alphabet));
        List<List<String>> words = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        for (var e : wordCounts.entrySet()) {
            List<String> symbols = new ArrayList<>();
            for (byte b : e.getKey().getBytes(StandardCharsets.UTF_8)) symbols.add(alphabet[b & 0xFF]);
            words.add(symbols);
            counts.add(e.getValue());
        }
        List<String[]> merges = new ArrayList<>();
        while (tokens.size() < vocabSize) {
            String[] best = mostFrequentPair(words, counts);
            if (best == null) break;
            merges.add(best);
            String joined = best[0] + best[1];
            tokens.add(joined);
            for (List<String> w : words) mergeInPlace(w, best[0], best[1], joined);
        }
        return new Vocabulary(tokens, merges);
    }

    private static String[] mostFrequentPair(List<List<String>> words, List<Integer> counts) {
        Map<String, Integer> pairCounts = new HashMap<>();
        Map<String, String[]> pairs = new HashMap<>();
        for (int i = 0; i < words.size(); i++) {
            List<String> w = words.get(i);
            for (int j = 0; j + 1 < w.size(); j++) {
                // the separator cannot occur inside a byte-level symbol
                String key = w.get(j) + "\u0000" + w.get(j + 1);
                pairCounts.merge(key, counts.get(i), Integer::sum);
                pairs.putIfAbsent(key, new String[]{w.get(j), w.get(j + 1)});
            }
        }
        String bestKey = null;
        int bestCount = 0;
        for (var e : pairCounts.entrySet()) {
            int c = e.getValue();
            if (c > bestCount || c == bestCount && e.getKey().compareTo(bestKey) < 0) {
                bestKey = e.getKey();
                bestCount = c;
            }
        }
        return bestCount < 2 ? null : pairs.get(bestKey);
    }

    private static void mergeInPlace(List<String> w, String a, String b, String joined) {
        for (int j = 0; j + 1 < w.size(); j++) {
            if (w.get(j).equals(a) && w.get(j + 1).equals(b)) {
                w.set(j, joined);
                w.remove(j + 1);
            }
        }
    }
}
