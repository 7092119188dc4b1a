package dev.qlora4j.model.tokenizer;

import dev.qlora4j.tensor.BadInputException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * tokenizers' BPE model: a word (one pre-tokenized piece) starts as one symbol per character,
 * looked up in the vocabulary (with {@code continuing_subword_prefix} on all but the first and
 * {@code end_of_word_suffix} on the last); a character missing from the vocabulary becomes its
 * {@code <0xNN>} byte tokens when {@code byte_fallback} is on and all of them exist, otherwise the
 * unknown token (consecutive ones fused into one with {@code fuse_unk}) or nothing when there is
 * none. Then {@link BpeMerger} applies the merges by rank. With {@code ignore_merges} a word that
 * is itself in the vocabulary is one token. Dropout is not applied (it is random and off in every
 * released tokenizer). Results for words under 256 bytes are cached, like upstream.
 */
final class BpeModel {
    private static final int CACHE_CAPACITY = 10_000;
    private static final int CACHE_MAX_WORD = 256;
    private static final int BIG_WORD = 1 << 16;

    /** What the tokenizer.json {@code model} section says, before ids are resolved. */
    record Config(String unkToken, String continuingSubwordPrefix, String endOfWordSuffix, boolean fuseUnk,
                  boolean byteFallback, boolean ignoreMerges) {}

    private final Map<String, Integer> vocab;
    private final String[] tokenById;
    private final MergeTable merges;
    private final Config config;
    private final String where;
    /** Id of each single BMP character when no prefix/suffix decorates it; -1 if absent. */
    private final int[] charIds;
    /** Id of {@code <0xNN>} for each byte, -1 if absent. */
    private final int[] byteIds = new int[256];
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();
    private final ThreadLocal<BpeMerger> mergers = ThreadLocal.withInitial(BpeMerger::new);
    private final java.util.concurrent.atomic.LongAdder mergeWork = new java.util.concurrent.atomic.LongAdder();

    BpeModel(Map<String, Integer> vocab, MergeTable merges, Config config, String where) {
        this.vocab = vocab;
        this.merges = merges;
        this.config = config;
        this.where = where;
        int maxId = -1;
        for (int id : vocab.values()) {
            maxId = Math.max(maxId, id);
        }
        tokenById = new String[maxId + 1];
        vocab.forEach((token, id) -> tokenById[id] = token);
        if (config.continuingSubwordPrefix() == null && config.endOfWordSuffix() == null) {
            charIds = new int[0x10000];
            Arrays.fill(charIds, -1);
            vocab.forEach((token, id) -> {
                if (token.length() == 1) {
                    charIds[token.charAt(0)] = id;
                }
            });
        } else {
            charIds = null;
        }
        for (int b = 0; b < 256; b++) {
            byteIds[b] = vocab.getOrDefault(String.format("<0x%02X>", b), -1);
        }
    }

    /** Number of entries in the vocabulary (upstream {@code get_vocab_size}). */
    int vocabSize() {
        return vocab.size();
    }

    Integer tokenToId(String token) {
        return vocab.get(token);
    }

    String idToToken(int id) {
        return id >= 0 && id < tokenById.length ? tokenById[id] : null;
    }

    /** Appends the tokens of one word. */
    void tokenize(String word, IntList ids, List<String> tokens) {
        if (word.isEmpty()) {
            return;
        }
        if (config.ignoreMerges()) {
            Integer id = vocab.get(word);
            if (id != null) {
                ids.add(id);
                tokens.add(word);
                return;
            }
        }
        int[] result = cache.get(word);
        if (result == null) {
            BpeMerger merger = mergers.get();
            result = merge(word, merger);
            mergeWork.add(merger.steps);
            merger.steps = 0;
            if (word.length() > BIG_WORD) {
                mergers.remove(); // do not keep a huge merger per thread
            }
            if (word.length() < CACHE_MAX_WORD && cache.size() < CACHE_CAPACITY) {
                cache.put(word, result);
            }
        }
        for (int id : result) {
            ids.add(id);
            tokens.add(tokenById[id]);
        }
    }

    /** Merge-loop heap operations run so far, all threads together (for complexity tests). */
    long mergeSteps() {
        return mergeWork.sum();
    }

    private int[] merge(String word, BpeMerger m) {
        m.reset();
        int unkId = -1; // pending unknown token, written when a known symbol follows
        for (int i = 0; i < word.length(); ) {
            int cp = word.codePointAt(i);
            int end = i + Character.charCount(cp);
            int id = symbolId(word, i, end, cp);
            if (id >= 0) {
                if (unkId >= 0) {
                    m.add(unkId);
                    unkId = -1;
                }
                m.add(id);
            } else if (!addByteFallback(word, i, end, m)) {
                if (config.unkToken() != null) {
                    if (unkId >= 0 && !config.fuseUnk()) {
                        m.add(unkId);
                    }
                    unkId = unknownId();
                }
            }
            i = end;
        }
        if (unkId >= 0) {
            m.add(unkId);
        }
        m.mergeAll(merges);
        return m.result();
    }

    private int symbolId(String word, int start, int end, int cp) {
        if (charIds != null) {
            if (cp < 0x10000) {
                return charIds[cp];
            }
            return vocab.getOrDefault(word.substring(start, end), -1);
        }
        return vocab.getOrDefault(decorated(word, start, end), -1);
    }

    /** The character with the prefix (not first) and suffix (last) the vocabulary uses. */
    private String decorated(String word, int start, int end) {
        String s = word.substring(start, end);
        if (start > 0 && config.continuingSubwordPrefix() != null) {
            s = config.continuingSubwordPrefix() + s;
        }
        if (end == word.length() && config.endOfWordSuffix() != null) {
            s = s + config.endOfWordSuffix();
        }
        return s;
    }

    /** Upstream writes byte tokens without flushing a pending unknown token first; so do we. */
    private boolean addByteFallback(String word, int start, int end, BpeMerger m) {
        if (!config.byteFallback()) {
            return false;
        }
        byte[] bytes = (charIds != null ? word.substring(start, end) : decorated(word, start, end))
                .getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) {
            if (byteIds[b & 0xFF] < 0) {
                return false;
            }
        }
        for (byte b : bytes) {
            m.add(byteIds[b & 0xFF]);
        }
        return true;
    }

    private int unknownId() {
        Integer id = vocab.get(config.unkToken());
        if (id == null) {
            throw BadInputException.at(where + ": model.unk_token",
                    "unk_token \"" + config.unkToken() + "\" is not in the vocabulary");
        }
        return id;
    }
}
