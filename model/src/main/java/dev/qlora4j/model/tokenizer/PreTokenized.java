package dev.qlora4j.model.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * The input cut into pieces on its way to the model (tokenizers' {@code PreTokenizedString}).
 * A piece that is an added token already carries its id and is left alone by every later step;
 * the others are split further by the pre-tokenizers and finally handed to the model.
 */
final class PreTokenized {
    /** One piece; {@code addedId} is the added token it is, or -1. */
    record Piece(NormalizedText text, int addedId) {
        boolean isAddedToken() {
            return addedId >= 0;
        }
    }

    private List<Piece> pieces;

    PreTokenized(List<Piece> pieces) {
        this.pieces = pieces;
    }

    List<Piece> pieces() {
        return pieces;
    }

    /** Splits every piece that is not an added token; empty results are dropped, as upstream. */
    void split(Function<NormalizedText, List<NormalizedText>> splitter) {
        List<Piece> next = new ArrayList<>(pieces.size() * 2);
        for (Piece p : pieces) {
            if (p.isAddedToken()) {
                next.add(p);
                continue;
            }
            for (NormalizedText part : splitter.apply(p.text())) {
                if (!part.isEmpty()) {
                    next.add(new Piece(part, -1));
                }
            }
        }
        pieces = next;
    }

    /** Splits pieces into pieces that may already be added tokens (the added-vocabulary passes). */
    void splitIntoPieces(Function<NormalizedText, List<Piece>> splitter) {
        List<Piece> next = new ArrayList<>(pieces.size() * 2);
        for (Piece p : pieces) {
            if (p.isAddedToken()) {
                next.add(p);
                continue;
            }
            for (Piece part : splitter.apply(p.text())) {
                if (!part.text().isEmpty()) {
                    next.add(part);
                }
            }
        }
        pieces = next;
    }

    /** Transforms every piece that is not an added token, in place (no empty-piece filtering). */
    void map(UnaryOperator<NormalizedText> transform) {
        for (int i = 0; i < pieces.size(); i++) {
            Piece p = pieces.get(i);
            if (!p.isAddedToken()) {
                pieces.set(i, new Piece(transform.apply(p.text()), -1));
            }
        }
    }
}
