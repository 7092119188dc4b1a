package dev.qlora4j.model.tokenizer;

import java.text.Normalizer;
import java.util.Arrays;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;

/**
 * A piece of the input after normalization: tokenizers' {@code NormalizedString}, reduced to what
 * ids depend on. Everything downstream (added-token matching on normalized text, pre-tokenizers,
 * the model) reads {@link #text}; the only thing that needs the way back to the original input is
 * Metaspace's {@code prepend_scheme: "first"}, which asks whether a piece starts at original
 * offset 0. So the alignment is kept only when a tokenizer needs it ({@code origin != null}): the
 * original offset of each normalized UTF-16 unit, with upstream's rules: a replaced character keeps
 * the source character's offset, an inserted one copies its left neighbour's (or the piece start),
 * replacement content takes the offset of the last replaced character.
 */
final class NormalizedText {
    final String text;
    /** Original offset of each UTF-16 unit of {@link #text}; null when not tracked. */
    private final int[] origin;
    /** Original offset where this piece starts (upstream {@code offsets_original().0}). */
    final int originalStart;

    private NormalizedText(String text, int[] origin, int originalStart) {
        this.text = text;
        this.origin = origin;
        this.originalStart = originalStart;
    }

    static NormalizedText of(String input, boolean trackOrigin) {
        int[] origin = null;
        if (trackOrigin) {
            origin = new int[input.length()];
            Arrays.setAll(origin, i -> i);
        }
        return new NormalizedText(input, origin, 0);
    }

    boolean isEmpty() {
        return text.isEmpty();
    }

    /** The units [start, end) as a piece of its own. */
    NormalizedText slice(int start, int end) {
        if (start == 0 && end == text.length()) {
            return this;
        }
        if (origin == null) {
            return new NormalizedText(text.substring(start, end), null, 0);
        }
        int shift = start < end ? origin[start] : originalStart;
        return new NormalizedText(text.substring(start, end), Arrays.copyOfRange(origin, start, end), shift);
    }

    /** Replaces every code point by {@code map(cp)}; the output keeps the code point's offset. */
    NormalizedText mapCodePoints(IntFunction<String> map) {
        StringBuilder sb = new StringBuilder(text.length() + 8);
        IntBuilder org = origin == null ? null : new IntBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            String out = map.apply(cp);
            sb.append(out);
            if (org != null) {
                org.repeat(origin[i], out.length());
            }
            i += Character.charCount(cp);
        }
        return with(sb.toString(), org);
    }

    /** Each UTF-8 byte as its GPT-2 alphabet character (the ByteLevel steps). */
    NormalizedText toByteLevel() {
        if (origin == null) {
            return with(ByteLevelAlphabet.encode(text), null);
        }
        return mapCodePoints(ByteLevelAlphabet::encodeCodePoint);
    }

    /** Keeps the code points {@code keep} accepts. */
    NormalizedText filter(IntPredicate keep) {
        StringBuilder sb = new StringBuilder(text.length());
        IntBuilder org = origin == null ? null : new IntBuilder(text.length());
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int len = Character.charCount(cp);
            if (keep.test(cp)) {
                sb.appendCodePoint(cp);
                if (org != null) {
                    org.copy(origin, i, len);
                }
            }
            i += len;
        }
        return with(sb.toString(), org);
    }

    /** Upstream {@code prepend}: nothing happens to an empty piece. */
    NormalizedText prepend(String prefix) {
        if (text.isEmpty() || prefix.isEmpty()) {
            return this;
        }
        IntBuilder org = null;
        if (origin != null) {
            org = new IntBuilder(prefix.length() + text.length());
            org.repeat(origin[0], prefix.length());
            org.copy(origin, 0, origin.length);
        }
        return with(prefix + text, org);
    }

    /** Replaces the given matches ([start, end) pairs, in order, not overlapping) by {@code content}. */
    NormalizedText replace(int[] matches, int count, String content) {
        if (count == 0) {
            return this;
        }
        StringBuilder sb = new StringBuilder(text.length() + count * content.length());
        IntBuilder org = origin == null ? null : new IntBuilder(text.length() + count * content.length());
        int last = 0;
        for (int k = 0; k < count; k++) {
            int start = matches[2 * k];
            int end = matches[2 * k + 1];
            sb.append(text, last, start).append(content);
            if (org != null) {
                org.copy(origin, last, start - last);
                org.repeat(end == 0 ? originalStart : origin[end - 1], content.length());
            }
            last = end;
        }
        sb.append(text, last, text.length());
        if (org != null) {
            org.copy(origin, last, text.length() - last);
        }
        return with(sb.toString(), org);
    }

    /** Removes leading and/or trailing White_Space. */
    NormalizedText strip(boolean left, boolean right) {
        int start = 0;
        int end = text.length();
        while (left && start < end && UnicodeProps.isWhitespace(text.codePointAt(start))) {
            start += Character.charCount(text.codePointAt(start));
        }
        while (right && end > start && UnicodeProps.isWhitespace(text.codePointBefore(end))) {
            end -= Character.charCount(text.codePointBefore(end));
        }
        if (start == 0 && end == text.length()) {
            return this;
        }
        int[] org = origin == null ? null : Arrays.copyOfRange(origin, start, end);
        return new NormalizedText(text.substring(start, end), org, originalStart);
    }

    /**
     * Unicode normalization. For the alignment the text is normalized in chunks that start at a
     * character nothing before it can combine with (each output unit takes its chunk's first
     * offset); if chunking would change the result, the whole piece is one chunk.
     */
    NormalizedText normalize(Normalizer.Form form) {
        if (Normalizer.isNormalized(text, form)) {
            return this;
        }
        String whole = Normalizer.normalize(text, form);
        if (origin == null) {
            return with(whole, null);
        }
        StringBuilder sb = new StringBuilder(whole.length());
        IntBuilder org = new IntBuilder(whole.length());
        int chunkStart = 0;
        for (int i = 0; i <= text.length(); ) {
            int cp = i < text.length() ? text.codePointAt(i) : -1;
            if (i == text.length() || (i > chunkStart && startsChunk(cp))) {
                String out = Normalizer.normalize(text.substring(chunkStart, i), form);
                sb.append(out);
                org.repeat(origin[chunkStart], out.length());
                chunkStart = i;
            }
            if (i == text.length()) {
                break;
            }
            i += Character.charCount(cp);
        }
        if (!sb.toString().equals(whole)) {
            IntBuilder one = new IntBuilder(whole.length());
            one.repeat(origin[0], whole.length());
            return with(whole, one);
        }
        return with(whole, org);
    }

    /** A starter that is neither a mark nor a conjoining jamo nor a halfwidth sound mark. */
    private static boolean startsChunk(int cp) {
        if (UnicodeProps.isMark(cp)) {
            return false;
        }
        boolean jamoVowelOrTrail = (cp >= 0x1160 && cp <= 0x11FF) || (cp >= 0xD7B0 && cp <= 0xD7FF);
        return !jamoVowelOrTrail && cp != 0xFF9E && cp != 0xFF9F;
    }

    private NormalizedText with(String newText, IntBuilder org) {
        return new NormalizedText(newText, org == null ? null : org.toArray(), originalStart);
    }

    /** A growable int array. */
    private static final class IntBuilder {
        private int[] data;
        private int size;

        IntBuilder(int capacity) {
            data = new int[Math.max(capacity, 4)];
        }

        void repeat(int value, int times) {
            ensure(times);
            Arrays.fill(data, size, size + times, value);
            size += times;
        }

        void copy(int[] src, int from, int len) {
            ensure(len);
            System.arraycopy(src, from, data, size, len);
            size += len;
        }

        private void ensure(int extra) {
            if (size + extra > data.length) {
                data = Arrays.copyOf(data, Math.max(data.length * 2, size + extra));
            }
        }

        int[] toArray() {
            return size == data.length ? data : Arrays.copyOf(data, size);
        }
    }
}
