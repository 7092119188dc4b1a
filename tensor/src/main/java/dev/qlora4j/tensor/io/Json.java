package dev.qlora4j.tensor.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The strict JSON reader shared by safetensors headers and shard indexes: standard JSON only, a
 * duplicate key anywhere is an error, and limits keep a hostile document from nesting deeply or
 * building huge numbers. Text is decoded as UTF-8 that must be well-formed (no overlong forms, no
 * lone surrogates), as the reference's {@code str::from_utf8} demands; decoding goes through a
 * Reader so that Jackson's own encoding detection (which would take "{\0" for UTF-16) never runs.
 */
final class Json {
    private Json() {}

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(64)
                    .maxNumberLength(64)
                    .maxStringLength(Math.toIntExact(SafetensorsFile.MAX_HEADER_BYTES))
                    .maxNameLength(Math.toIntExact(SafetensorsFile.MAX_HEADER_BYTES))
                    .maxDocumentLength(SafetensorsFile.MAX_HEADER_BYTES)
                    .build())
            .build();

    static JsonParser parser(byte[] utf8) throws IOException {
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        return FACTORY.createParser(new InputStreamReader(new ByteArrayInputStream(utf8), decoder));
    }

    /**
     * Jackson's complaint on one line, with the character position it stopped at. A duplicate key
     * is reported in our words: Jackson's wording differs between versions.
     */
    static String describe(JsonProcessingException e) {
        String msg = e.getOriginalMessage() == null ? e.getClass().getSimpleName() : e.getOriginalMessage();
        String duplicate = msg.startsWith("Duplicate") && e.getProcessor() instanceof JsonParser p
                ? p.getParsingContext().getCurrentName() : null;
        if (duplicate != null) msg = "duplicate key " + SafetensorsException.quoted(duplicate);
        else msg = SafetensorsException.printable(msg.replaceAll("\\s+", " ").strip());
        JsonLocation at = e.getLocation();
        return at == null || at.getCharOffset() < 0 ? msg : msg + " at character " + at.getCharOffset();
    }
}
