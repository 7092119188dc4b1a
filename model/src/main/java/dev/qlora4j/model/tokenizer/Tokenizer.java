package dev.qlora4j.model.tokenizer;

import dev.qlora4j.model.tokenizer.Decoders.Decoder;
import dev.qlora4j.model.tokenizer.Normalizers.Normalizer;
import dev.qlora4j.model.tokenizer.PostProcessors.PostProcessor;
import dev.qlora4j.model.tokenizer.PreTokenizers.PreTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A Hugging Face tokenizer.json, run the way the {@code tokenizers} library (0.23) runs it:
 * added tokens are cut out, the rest is normalized, pre-tokenized and encoded by the BPE model,
 * and the post-processor adds special tokens; decoding maps ids to token strings and runs the
 * decoder. Supported: BPE models; the normalizers, pre-tokenizers, post-processors and decoders
 * that Llama-3, Qwen2 and Gemma tokenizers use (see docs/DESIGN.md). Thread-safe.
 */
public final class Tokenizer {
    private final Path source;
    private final BpeModel model;
    private final AddedVocabulary added;
    private final Normalizer normalizer;
    private final PreTokenizer preTokenizer;
    private final PostProcessor postProcessor;
    private final Decoder decoder;
    private final boolean trackOrigins;

    Tokenizer(Path source, BpeModel model, AddedVocabulary added, Normalizer normalizer, PreTokenizer preTokenizer,
              PostProcessor postProcessor, Decoder decoder) {
        this.source = source;
        this.model = model;
        this.added = added;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.postProcessor = postProcessor;
        this.decoder = decoder;
        this.trackOrigins = preTokenizer != null && preTokenizer.needsOrigins();
    }

    /**
     * Loads a tokenizer.json file, or the tokenizer.json inside a model folder.
     *
     * @throws dev.qlora4j.tensor.BadInputException if the file is missing, malformed or uses a
     *     component type this implementation does not support (the message names the JSON path)
     */
    public static Tokenizer load(Path fileOrFolder) {
        return TokenizerFile.read(fileOrFolder);
    }

    /** The tokenizer.json this was loaded from. */
    public Path source() {
        return source;
    }

    /**
     * Encodes one text. With {@code addSpecialTokens} the post-processor's template is applied
     * (for Llama-3 and Gemma: BOS first); special tokens written in the text are recognised
     * either way.
     */
    public Encoding encode(String text, boolean addSpecialTokens) {
        PreTokenized pieces = added.extractAndNormalize(text, normalizer, trackOrigins);
        if (preTokenizer != null) {
            preTokenizer.preTokenize(pieces);
        }
        IntList ids = new IntList();
        List<String> tokens = new ArrayList<>();
        for (PreTokenized.Piece piece : pieces.pieces()) {
            if (piece.isAddedToken()) {
                ids.add(piece.addedId());
                tokens.add(piece.text().text);
            } else {
                model.tokenize(piece.text().text, ids, tokens);
            }
        }
        return PostProcessors.apply(postProcessor, new Encoding(ids.toArray(), List.copyOf(tokens)), addSpecialTokens);
    }

    /**
     * Decodes ids to text. Ids that name no token are skipped; with {@code skipSpecialTokens}
     * the added tokens marked special are left out.
     */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        List<String> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            String token = added.decodingForm(id);
            if (token == null) {
                token = model.idToToken(id);
            }
            if (token == null || (skipSpecialTokens && added.isSpecialContent(token))) {
                continue;
            }
            tokens.add(token);
        }
        if (decoder == null) {
            return String.join(" ", tokens);
        }
        return String.join("", decoder.decodeChain(tokens));
    }

    /** The token string of an id (added tokens first, then the model's vocabulary). */
    public Optional<String> idToToken(int id) {
        String token = added.decodingForm(id);
        return Optional.ofNullable(token != null ? token : model.idToToken(id));
    }

    /** The id of a token string (added tokens first, then the model's vocabulary). */
    public OptionalInt tokenToId(String token) {
        Integer id = added.idOf(token);
        if (id == null) {
            id = model.tokenToId(token);
        }
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** Vocabulary size including added tokens (what {@code len(tokenizer)} reports). */
    public int vocabSize() {
        int overlapping = 0;
        for (String content : added.contents()) {
            if (model.tokenToId(content) != null) {
                overlapping++;
            }
        }
        return model.vocabSize() + added.size() - overlapping;
    }

    /** The added tokens, by increasing id. */
    public List<AddedToken> addedTokens() {
        return added.tokens();
    }

    /** Whether {@code decode(ids, true)} skips this id: its token string is a special added token. */
    public boolean isSpecial(int id) {
        return idToToken(id).map(added::isSpecialContent).orElse(false);
    }

    /** Merge-loop heap operations the BPE model has run so far (for complexity checks in tests). */
    long mergeSteps() {
        return model.mergeSteps();
    }
}
