package dev.qlora4j.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * tokenizer.json's {@code post_processor}, for a single sequence: which special tokens (BOS, CLS,
 * ...) go around the encoded text when {@code add_special_tokens} is true. Every supported type
 * reduces to a template: a list of parts, each the sequence itself or fixed special tokens.
 */
final class PostProcessors {
    private PostProcessors() {}

    /** One part of a template. */
    sealed interface Part permits SequencePart, SpecialPart {}

    /** The encoded sequence (TemplateProcessing's {@code $A}). */
    record SequencePart() implements Part {}

    /** Fixed ids with their token strings. */
    record SpecialPart(int[] ids, List<String> tokens) implements Part {}

    /** The template for a single sequence. */
    record PostProcessor(List<Part> single) {}

    private static final List<Part> IDENTITY = List.of(new SequencePart());

    /** The sequence with the special tokens around it, when asked for. */
    static Encoding apply(PostProcessor processor, Encoding encoded, boolean addSpecialTokens) {
        if (processor == null || !addSpecialTokens) {
            return encoded;
        }
        int n = 0;
        for (Part p : processor.single()) {
            n += p instanceof SpecialPart s ? s.ids().length : encoded.ids().length;
        }
        int[] ids = new int[n];
        List<String> tokens = new ArrayList<>(n);
        int at = 0;
        for (Part p : processor.single()) {
            int[] src = p instanceof SpecialPart s ? s.ids() : encoded.ids();
            System.arraycopy(src, 0, ids, at, src.length);
            at += src.length;
            tokens.addAll(p instanceof SpecialPart s ? s.tokens() : encoded.tokens());
        }
        return new Encoding(ids, List.copyOf(tokens));
    }

    static PostProcessor read(JsonReader json, JsonNode node, String path) {
        if (node == null || node.isNull()) {
            return null;
        }
        return new PostProcessor(readParts(json, node, path));
    }

    private static List<Part> readParts(JsonReader json, JsonNode node, String path) {
        String type = json.type(node, path);
        return switch (type) {
            case "TemplateProcessing" -> template(json, node, path);
            case "ByteLevel" -> IDENTITY; // only trims offsets
            case "BertProcessing", "RobertaProcessing" -> List.of(
                    pairPart(json, node, "cls", path), new SequencePart(), pairPart(json, node, "sep", path));
            case "Sequence" -> {
                // each processor wraps what the previous ones produced
                String at = JsonReader.child(path, "processors");
                JsonNode list = json.array(json.required(node, "processors", path), at);
                List<Part> result = IDENTITY;
                for (int i = 0; i < list.size(); i++) {
                    List<Part> next = new ArrayList<>();
                    for (Part p : readParts(json, json.object(list.get(i), JsonReader.index(at, i)),
                            JsonReader.index(at, i))) {
                        if (p instanceof SequencePart) {
                            next.addAll(result);
                        } else {
                            next.add(p);
                        }
                    }
                    result = List.copyOf(next);
                }
                yield result;
            }
            default -> throw json.error(path, "unsupported post_processor type \"" + type + "\"");
        };
    }

    /** Bert/Roberta's {@code cls} and {@code sep}: a [token, id] pair. */
    private static Part pairPart(JsonReader json, JsonNode node, String field, String path) {
        String at = JsonReader.child(path, field);
        JsonNode pair = json.array(json.required(node, field, path), at);
        if (pair.size() != 2 || !pair.get(0).isTextual()) {
            throw json.error(at, "expected [token, id], found " + JsonReader.describe(pair));
        }
        return new SpecialPart(new int[] {json.count(pair.get(1), JsonReader.index(at, 1))},
                List.of(pair.get(0).textValue()));
    }

    private static List<Part> template(JsonReader json, JsonNode node, String path) {
        Map<String, SpecialPart> specials = new HashMap<>();
        String specialsPath = JsonReader.child(path, "special_tokens");
        JsonNode map = node.get("special_tokens");
        if (map != null && !map.isNull()) {
            json.object(map, specialsPath);
            for (var entry : map.properties()) {
                String at = JsonReader.child(specialsPath, entry.getKey());
                JsonNode spec = json.object(entry.getValue(), at);
                JsonNode idList = json.array(json.required(spec, "ids", at), JsonReader.child(at, "ids"));
                JsonNode tokenList = json.array(json.required(spec, "tokens", at), JsonReader.child(at, "tokens"));
                if (idList.size() != tokenList.size()) {
                    throw json.error(at, "ids and tokens differ in length");
                }
                int[] ids = new int[idList.size()];
                List<String> tokens = new ArrayList<>();
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = json.count(idList.get(i), JsonReader.index(JsonReader.child(at, "ids"), i));
                    tokens.add(tokenList.get(i).asText());
                }
                specials.put(entry.getKey(), new SpecialPart(ids, List.copyOf(tokens)));
            }
        }
        String singlePath = JsonReader.child(path, "single");
        JsonNode single = json.array(json.required(node, "single", path), singlePath);
        List<Part> parts = new ArrayList<>();
        for (int i = 0; i < single.size(); i++) {
            parts.add(templatePiece(json, single.get(i), JsonReader.index(singlePath, i), specials));
        }
        return List.copyOf(parts);
    }

    /** {"Sequence": {"id": "A", ...}} or {"SpecialToken": {"id": "<s>", ...}}. */
    private static Part templatePiece(JsonReader json, JsonNode piece, String at, Map<String, SpecialPart> specials) {
        json.object(piece, at);
        if (piece.has("Sequence")) {
            String id = json.string(json.object(piece.get("Sequence"), JsonReader.child(at, "Sequence")), "id",
                    JsonReader.child(at, "Sequence"));
            if (!id.equals("A")) {
                throw json.error(at, "the single-sequence template refers to sequence \"" + id + "\"");
            }
            return new SequencePart();
        }
        if (piece.has("SpecialToken")) {
            String where = JsonReader.child(at, "SpecialToken");
            String id = json.string(json.object(piece.get("SpecialToken"), where), "id", where);
            SpecialPart part = specials.get(id);
            if (part == null) {
                throw json.error(where, "special token \"" + id + "\" is missing from special_tokens");
            }
            return part;
        }
        throw json.error(at, "expected {\"Sequence\": ...} or {\"SpecialToken\": ...}, found " + JsonReader.describe(piece));
    }
}
