package dev.qlora4j.model.tokenizer;

import dev.qlora4j.tensor.BadInputException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.IntPredicate;

/**
 * Cuts a piece of text around the matches of a pattern, as tokenizers' {@code Pattern::find_matches}
 * and {@code NormalizedString::split} do: the matches and the gaps between them cover the text in
 * order, then the delimiter behavior decides what becomes of the matches.
 */
final class Splitter {
    private Splitter() {}

    /** tokenizers' {@code SplitDelimiterBehavior}. */
    enum Behavior {
        REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS;

        static Behavior parse(String name, String where) {
            return switch (name) {
                case "Removed" -> REMOVED;
                case "Isolated" -> ISOLATED;
                case "MergedWithPrevious" -> MERGED_WITH_PREVIOUS;
                case "MergedWithNext" -> MERGED_WITH_NEXT;
                case "Contiguous" -> CONTIGUOUS;
                default -> throw BadInputException.at(where, "unknown split behavior \""
                        + name.toLowerCase(Locale.ROOT) + "\"");
            };
        }
    }

    /** Ranges covering a text: range k is [bounds[k], bounds[k + 1]) and isMatch[k] says what it is. */
    static final class Ranges {
        int[] bounds = new int[16];
        boolean[] isMatch = new boolean[16];
        int count;

        Ranges(int start) {
            bounds[0] = start;
        }

        void add(int end, boolean match) {
            if (count + 2 > bounds.length) {
                bounds = Arrays.copyOf(bounds, bounds.length * 2);
                isMatch = Arrays.copyOf(isMatch, bounds.length);
            }
            bounds[count + 1] = end;
            isMatch[count] = match;
            count++;
        }

        int start(int k) {
            return bounds[k];
        }

        int end(int k) {
            return bounds[k + 1];
        }
    }

    /** The matches of a regex and the gaps between them; an empty text is one empty gap. */
    static Ranges regexMatches(OnigRegex regex, String text, String where) {
        Ranges r = new Ranges(0);
        if (text.isEmpty()) {
            r.add(0, false);
            return r;
        }
        int[] prev = {0};
        regex.forEachMatch(text, (start, end) -> {
            if (prev[0] != start) {
                r.add(start, false);
            }
            r.add(end, true);
            prev[0] = end;
        }, where);
        if (prev[0] != text.length()) {
            r.add(text.length(), false);
        }
        return r;
    }

    /** Every code point {@code isDelimiter} accepts is a match of its own; runs of others are gaps. */
    static Ranges charMatches(IntPredicate isDelimiter, String text) {
        Ranges r = new Ranges(0);
        if (text.isEmpty()) {
            r.add(0, false);
            return r;
        }
        int last = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int next = i + Character.charCount(cp);
            if (isDelimiter.test(cp)) {
                if (last < i) {
                    r.add(i, false);
                }
                r.add(next, true);
                last = next;
            }
            i = next;
        }
        if (last < text.length()) {
            r.add(text.length(), false);
        }
        return r;
    }

    static Ranges invert(Ranges r) {
        for (int k = 0; k < r.count; k++) {
            r.isMatch[k] = !r.isMatch[k];
        }
        return r;
    }

    /** Applies the behavior and cuts the piece; empty results are dropped by the caller. */
    static List<NormalizedText> split(NormalizedText piece, Ranges r, Behavior behavior) {
        List<NormalizedText> out = new ArrayList<>();
        switch (behavior) {
            case ISOLATED -> {
                for (int k = 0; k < r.count; k++) {
                    out.add(piece.slice(r.start(k), r.end(k)));
                }
            }
            case REMOVED -> {
                for (int k = 0; k < r.count; k++) {
                    if (!r.isMatch[k]) {
                        out.add(piece.slice(r.start(k), r.end(k)));
                    }
                }
            }
            case CONTIGUOUS -> mergeForward(piece, r, out, true);
            case MERGED_WITH_PREVIOUS -> mergeForward(piece, r, out, false);
            case MERGED_WITH_NEXT -> mergeWithNext(piece, r, out);
        }
        return out;
    }

    /**
     * Contiguous: a range joins the previous one when both are matches or both are not.
     * MergedWithPrevious: a match joins the previous range unless that one was a match too.
     */
    private static void mergeForward(NormalizedText piece, Ranges r, List<NormalizedText> out, boolean contiguous) {
        int curStart = -1;
        int curEnd = -1;
        boolean previousMatch = false;
        for (int k = 0; k < r.count; k++) {
            boolean match = r.isMatch[k];
            boolean join = contiguous ? match == previousMatch : match && !previousMatch;
            if (join && curStart >= 0) {
                curEnd = r.end(k);
            } else {
                if (curStart >= 0) {
                    out.add(piece.slice(curStart, curEnd));
                }
                curStart = r.start(k);
                curEnd = r.end(k);
            }
            previousMatch = match;
        }
        if (curStart >= 0) {
            out.add(piece.slice(curStart, curEnd));
        }
    }

    /** A match joins the range after it, unless the range after it was a match too (scanning backwards). */
    private static void mergeWithNext(NormalizedText piece, Ranges r, List<NormalizedText> out) {
        int[] starts = new int[r.count];
        int[] ends = new int[r.count];
        int n = 0;
        boolean previousMatch = false;
        for (int k = r.count - 1; k >= 0; k--) {
            boolean match = r.isMatch[k];
            if (match && !previousMatch && n > 0) {
                starts[n - 1] = r.start(k);
            } else {
                starts[n] = r.start(k);
                ends[n] = r.end(k);
                n++;
            }
            previousMatch = match;
        }
        for (int k = n - 1; k >= 0; k--) {
            out.add(piece.slice(starts[k], ends[k]));
        }
    }
}
