package dev.qlora4j.model.generate;

import dev.qlora4j.model.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * Turns generated token ids into text increments as they arrive. Each step decodes all new ids
 * so far (decoders such as byte fallback or Metaspace look at neighbouring tokens) and passes on
 * the part not yet emitted. While the text ends in U+FFFD it waits: a character whose UTF-8
 * bytes are split over byte-fallback or byte-level tokens is incomplete, and comes out whole once
 * its last byte arrives.
 */
public final class TextStreamer implements IntConsumer {
    private static final char REPLACEMENT = '\uFFFD';

    private final Tokenizer tokenizer;
    private final boolean skipSpecialTokens;
    private final Consumer<String> sink;
    private int[] ids = new int[16];
    private int count;
    private int emitted;

    /** @param skipSpecialTokens leave special added tokens (end-of-turn markers) out of the text */
    public TextStreamer(Tokenizer tokenizer, boolean skipSpecialTokens, Consumer<String> sink) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
        this.sink = sink;
    }

    @Override
    public void accept(int id) {
        if (count == ids.length) ids = Arrays.copyOf(ids, 2 * count);
        ids[count++] = id;
        String text = text();
        if (text.isEmpty() || text.charAt(text.length() - 1) != REPLACEMENT) emitBeyond(text);
    }

    /** Emits what is left, an unfinished character included (generation has ended). */
    public void finish() {
        emitBeyond(text());
    }

    /** The decoded text of every id received. */
    public String text() {
        return tokenizer.decode(Arrays.copyOf(ids, count), skipSpecialTokens);
    }

    private void emitBeyond(String text) {
        if (text.length() > emitted) {
            sink.accept(text.substring(emitted));
            emitted = text.length();
        }
    }
}
