package dev.qlora4j.train.data;

import java.util.ArrayList;
import java.util.List;

/**
 * Rows left out of a data set, counted, with the first few named (place and reason), so that a
 * report can say "12 malformed rows: line 7 (...), line 19 (...), ..." without listing thousands.
 *
 * @param count how many
 * @param first up to {@link #SHOWN} of them, in file order, e.g. "line 7 (has 8 fields, expected 9)"
 */
public record RowIssues(int count, List<String> first) {
    public static final int SHOWN = 5;

    public RowIssues {
        first = List.copyOf(first);
    }

    public static RowIssues none() {
        return new RowIssues(0, List.of());
    }

    @Override
    public String toString() {
        if (count == 0) return "none";
        return count + (count > first.size() ? " (first: " : " (") + String.join(", ", first) + ")";
    }

    /** Counts issues as they are found. */
    static final class Counter {
        private int count;
        private final List<String> first = new ArrayList<>();

        void add(String placeAndReason) {
            if (first.size() < SHOWN) first.add(placeAndReason);
            count++;
        }

        int count() {
            return count;
        }

        RowIssues issues() {
            return new RowIssues(count, first);
        }
    }
}
