package dev.qlora4j.model.tokenizer;

import dev.qlora4j.model.tokenizer.Normalizers.Normalizer;
import dev.qlora4j.model.tokenizer.PreTokenized.Piece;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The added tokens (tokenizers' {@code AddedVocabulary}): they are cut out of the input before
 * the model sees it. Tokens with {@code normalized: false} are found in the raw input first; the
 * text between them is normalized, and tokens with {@code normalized: true} are then found in
 * that normalized text (in their own normalized form). Matching is leftmost-longest and never
 * overlaps; a {@code single_word} match is dropped unless no word character touches it, and
 * {@code lstrip}/{@code rstrip} widen a match over the whitespace beside it.
 * <p>
 * Ids follow upstream's {@code add_tokens}, not the ids written in the file: a token already in
 * the model's vocabulary keeps the model's id, the others get the next ids after the vocabulary.
 */
final class AddedVocabulary {
    private final Map<String, Integer> idByContent = new HashMap<>();
    private final Map<Integer, AddedToken> tokenById = new LinkedHashMap<>();
    private final Map<Integer, String> normalizedForm = new HashMap<>();
    private final Set<String> specialContents = new HashSet<>();
    private final TokenTrie rawTrie;
    private final TokenTrie normalizedTrie;

    /** One entry of tokenizer.json's {@code added_tokens}, without its id. */
    record Entry(String content, boolean singleWord, boolean lstrip, boolean rstrip, boolean normalized,
                 boolean special) {}

    AddedVocabulary(List<Entry> entries, BpeModel model, Normalizer normalizer) {
        int nextId = model.vocabSize();
        for (Entry e : entries) {
            if (e.content().isEmpty()) {
                continue;
            }
            Integer id = idByContent.get(e.content());
            if (id == null) {
                id = model.tokenToId(e.content());
            }
            if (id == null) {
                id = nextId++;
            }
            if (e.normalized() && normalizer != null) {
                String normed = normalizer.normalize(NormalizedText.of(e.content(), false)).text;
                if (!normed.equals(e.content())) {
                    normalizedForm.put(id, normed);
                }
            }
            idByContent.put(e.content(), id);
            if (e.special()) {
                specialContents.add(e.content());
            }
            tokenById.put(id, new AddedToken(e.content(), id, e.special(), e.singleWord(), e.lstrip(), e.rstrip(),
                    e.normalized()));
        }
        rawTrie = new TokenTrie();
        normalizedTrie = new TokenTrie();
        for (AddedToken t : tokenById.values()) {
            if (t.normalized()) {
                normalizedTrie.add(normalizedForm.getOrDefault(t.id(), t.content()), t.id());
            } else {
                rawTrie.add(t.content(), t.id());
            }
        }
    }

    Integer idOf(String content) {
        return idByContent.get(content);
    }

    /** The string decoding uses: the normalized form for a normalized token, else its content. */
    String decodingForm(int id) {
        AddedToken t = tokenById.get(id);
        return t == null ? null : normalizedForm.getOrDefault(id, t.content());
    }

    boolean isSpecialContent(String token) {
        return specialContents.contains(token);
    }

    List<AddedToken> tokens() {
        List<AddedToken> all = new ArrayList<>(tokenById.values());
        all.sort((a, b) -> Integer.compare(a.id(), b.id()));
        return Collections.unmodifiableList(all);
    }

    int size() {
        return idByContent.size();
    }

    Set<String> contents() {
        return idByContent.keySet();
    }

    /** Cuts out the added tokens and normalizes the rest (upstream {@code extract_and_normalize}). */
    PreTokenized extractAndNormalize(String input, Normalizer normalizer, boolean trackOrigins) {
        List<Piece> start = new ArrayList<>();
        start.add(new Piece(NormalizedText.of(input, trackOrigins), -1));
        PreTokenized pieces = new PreTokenized(start);
        pieces.splitIntoPieces(t -> splitOnMatches(t, rawTrie));
        pieces.splitIntoPieces(t -> splitOnMatches(normalizer == null ? t : normalizer.normalize(t), normalizedTrie));
        return pieces;
    }

    private List<Piece> splitOnMatches(NormalizedText piece, TokenTrie trie) {
        String s = piece.text;
        List<Piece> out = new ArrayList<>();
        if (trie.isEmpty() || s.isEmpty()) {
            out.add(new Piece(piece, -1));
            return out;
        }
        int done = 0; // end of the last accepted match
        int pos = 0;
        while (pos < s.length()) {
            long m = trie.longestMatch(s, pos);
            if (m < 0) {
                pos++;
                continue;
            }
            int id = (int) (m >>> 32);
            int matchEnd = (int) m;
            AddedToken token = tokenById.get(id);
            int start = pos;
            int stop = matchEnd;
            pos = matchEnd; // the matcher moves on past every match, even one dropped below
            if (token.singleWord() && !standsAlone(s, start, stop)) {
                continue;
            }
            if (token.lstrip()) {
                start = Math.max(startOfTrailingSpace(s, start), done);
            }
            if (token.rstrip()) {
                stop = endOfLeadingSpace(s, stop);
            }
            if (done < start) {
                out.add(new Piece(piece.slice(done, start), -1));
            }
            out.add(new Piece(piece.slice(start, stop), id));
            done = stop;
        }
        if (done < s.length()) {
            out.add(new Piece(piece.slice(done, s.length()), -1));
        }
        return out;
    }

    /** No word character right before or right after [start, stop). */
    private static boolean standsAlone(String s, int start, int stop) {
        boolean before = start == 0 || !UnicodeProps.isRegexWordChar(s.codePointBefore(start));
        boolean after = stop == s.length() || !UnicodeProps.isRegexWordChar(s.codePointAt(stop));
        return before && after;
    }

    private static int startOfTrailingSpace(String s, int end) {
        int i = end;
        while (i > 0 && UnicodeProps.isWhitespace(s.codePointBefore(i))) {
            i -= Character.charCount(s.codePointBefore(i));
        }
        return i;
    }

    private static int endOfLeadingSpace(String s, int start) {
        int i = start;
        while (i < s.length() && UnicodeProps.isWhitespace(s.codePointAt(i))) {
            i += Character.charCount(s.codePointAt(i));
        }
        return i;
    }
}
