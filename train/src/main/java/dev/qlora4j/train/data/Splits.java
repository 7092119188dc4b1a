package dev.qlora4j.train.data;

import dev.qlora4j.tensor.BadInputException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Dividing rows into training and evaluation sets, and sampling the training rows. Every result
 * keeps the rows in file order.
 */
final class Splits {
    private Splits() {}

    /** Rows for training and rows held out for evaluation. */
    record Split(List<DataRows.Row> train, List<DataRows.Row> eval) {}

    /**
     * A seeded random hold-out of ⌈share·n⌉ rows (datasets' train_test_split count for a float
     * test_size).
     */
    static Split holdOut(List<DataRows.Row> rows, double share, long seed) {
        int n = rows.size(), held = (int) Math.ceil(share * n);
        if (held >= n)
            throw BadInputException.at("validation_split", "holding out " + share + " of " + n + " rows leaves no training rows");
        boolean[] isEval = new boolean[n];
        int[] order = SeededOrder.permutation(n, seed, SeededOrder.SPLIT, 0);
        for (int i = 0; i < held; i++) isEval[order[i]] = true;
        return partition(rows, isEval);
    }

    /** Evaluation = the rows whose id is {@code fold} modulo {@code numFolds}. */
    static Split fold(List<DataRows.Row> rows, int fold, int numFolds) {
        boolean[] isEval = new boolean[rows.size()];
        for (int i = 0; i < rows.size(); i++) isEval[i] = Math.floorMod(rows.get(i).id(), numFolds) == fold;
        Split s = partition(rows, isEval);
        if (s.eval().isEmpty()) throw BadInputException.at("fold", "no row has an id with id % " + numFolds + " == " + fold);
        if (s.train().isEmpty()) throw BadInputException.at("fold", "every row is in fold " + fold + ": no training rows are left");
        return s;
    }

    /** A seeded random max(1, round(share·n)) of the rows. */
    static List<DataRows.Row> sample(List<DataRows.Row> rows, double share, long seed) {
        int n = rows.size();
        if (share >= 1 || n == 0) return rows;
        int keep = (int) Math.max(1, Math.min(n, Math.round(share * n)));
        int[] chosen = Arrays.copyOf(SeededOrder.permutation(n, seed, SeededOrder.FRACTION, 0), keep);
        Arrays.sort(chosen);
        List<DataRows.Row> out = new ArrayList<>(keep);
        for (int i : chosen) out.add(rows.get(i));
        return out;
    }

    private static Split partition(List<DataRows.Row> rows, boolean[] isEval) {
        List<DataRows.Row> train = new ArrayList<>(), eval = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) (isEval[i] ? eval : train).add(rows.get(i));
        return new Split(train, eval);
    }
}
