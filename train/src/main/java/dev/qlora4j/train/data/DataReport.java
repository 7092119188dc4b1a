package dev.qlora4j.train.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What loading the data did, for the trainer's log.
 *
 * @param evalSource where the evaluation set came from ({@link DataSpec#evalSource()})
 * @param files      each file read
 * @param train      the training set
 * @param eval       the evaluation set (all zero when there is none)
 */
public record DataReport(String evalSource, List<FileStats> files, SetStats train, SetStats eval) {
    public DataReport {
        files = List.copyOf(files);
    }

    /**
     * @param rows      usable rows read
     * @param malformed preference_pair records skipped (count and the first line numbers with the reason)
     */
    public record FileStats(Path file, int rows, RowIssues malformed) {}

    /**
     * @param rows        rows the split gave this set
     * @param leftOut     rows left out by {@code fraction} (training) or {@code max_eval_samples} (evaluation)
     * @param dropped     examples with nothing to learn after masking and truncation (TRL drops them)
     * @param truncated   examples cut to max_length (dropped ones included)
     * @param examples    examples in the set
     * @param tokens      their tokens
     * @param labelTokens their {@link Example#labelTokens()}: for a causal LM, the positions the loss counts
     */
    public record SetStats(int rows, int leftOut, RowIssues dropped, int truncated, int examples, long tokens, long labelTokens) {
        static SetStats empty() {
            return new SetStats(0, 0, RowIssues.none(), 0, 0, 0, 0);
        }
    }

    /** A few human-readable lines. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        for (FileStats f : files)
            out.add(f.file() + ": " + f.rows() + " rows" + (f.malformed().count() == 0 ? "" : ", " + f.malformed().count()
                    + " malformed skipped " + f.malformed().first()));
        out.add("train: " + describe(train, "fraction"));
        out.add("eval (" + evalSource + "): " + (eval.rows() == 0 ? "none" : describe(eval, "max_eval_samples")));
        return out;
    }

    private static String describe(SetStats s, String leftOutBy) {
        StringBuilder sb = new StringBuilder();
        sb.append(s.examples()).append(" examples, ").append(s.tokens()).append(" tokens, ").append(s.labelTokens()).append(" label tokens");
        if (s.leftOut() > 0) sb.append("; ").append(s.leftOut()).append(" rows left out by ").append(leftOutBy);
        if (s.truncated() > 0) sb.append("; ").append(s.truncated()).append(" truncated to max_length");
        if (s.dropped().count() > 0) sb.append("; ").append(s.dropped().count()).append(" dropped with nothing to learn ").append(s.dropped().first());
        return sb.toString();
    }
}
