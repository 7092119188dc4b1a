package dev.qlora4j.train.config;

import java.util.Collection;
import java.util.Optional;

/** "Did you mean …?": the known name nearest to a misspelt one, when it is near enough to be a typo. */
final class Suggest {
    private Suggest() {}

    /**
     * The candidate with the smallest edit distance (insertions, deletions, substitutions and
     * swaps of neighbours) to {@code word}, if that distance is at most 2 and under a third of the
     * word's length; ties go to the earlier candidate.
     */
    static Optional<String> nearest(String word, Collection<String> candidates) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = distance(word.toLowerCase(java.util.Locale.ROOT), c.toLowerCase(java.util.Locale.ROOT));
            if (d < bestDistance) {
                best = c;
                bestDistance = d;
            }
        }
        boolean near = best != null && bestDistance <= 2 && bestDistance * 3 < Math.max(word.length(), 1) + 1;
        return near ? Optional.of(best) : Optional.empty();
    }

    /** Optimal string alignment distance. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) d[i][0] = i;
        for (int j = 0; j <= b.length(); j++) d[0][j] = j;
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1))
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
        return d[a.length()][b.length()];
    }
}
