package dev.qlora4j.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** tokenizer.json's {@code normalizer}: the component types and how to read them. */
final class Normalizers {
    private Normalizers() {}

    /** Rewrites a piece of text before added normalized tokens are matched and pre-tokenizers run. */
    interface Normalizer {
        NormalizedText normalize(NormalizedText text);
    }

    record Unicode(java.text.Normalizer.Form form) implements Normalizer {
        @Override
        public NormalizedText normalize(NormalizedText text) {
            return text.normalize(form);
        }
    }

    /**
     * Rust's {@code char::to_lowercase}, one character at a time: the simple mapping except
     * U+0130, whose full lowercase is two characters, and without Greek final-sigma context.
     */
    record Lowercase() implements Normalizer {
        @Override
        public NormalizedText normalize(NormalizedText text) {
            return text.mapCodePoints(cp -> cp == 0x130 ? "i\u0307" : Character.toString(Character.toLowerCase(cp)));
        }
    }

    record Strip(boolean left, boolean right) implements Normalizer {
        @Override
        public NormalizedText normalize(NormalizedText text) {
            return text.strip(left, right);
        }
    }

    record StripAccents() implements Normalizer {
        @Override
        public NormalizedText normalize(NormalizedText text) {
            return text.filter(cp -> !UnicodeProps.isMark(cp));
        }
    }

    /** Replaces every match of the pattern by a literal string. */
    record Replace(OnigRegex pattern, String content, String where) implements Normalizer {
        @Override
        public NormalizedText normalize(NormalizedText text) {
            Splitter.Ranges r = Splitter.regexMatches(pattern, text.text, where);
            int[] matches = new int[2 * r.count];
            int n = 0;
            for (int k = 0; k < r.count; k++) {
                if (r.isMatch[k]) {
                    matches[2 * n] = r.start(k);
                    matches[2 * n + 1] = r.end(k);
                    n++;
                }
            }
            return text.replace(matches, n, content);
        }
    }

    /** Prepends a string to every non-empty piece. */
    record Prepend(String prefix) implements Normalizer {
        @Override
        public NormalizedText normalize(NormalizedText text) {
            return text.prepend(prefix);
        }
    }

    /** Replaces each UTF-8 byte by its GPT-2 alphabet character. */
    record ByteLevel() implements Normalizer {
        @Override
        public NormalizedText normalize(NormalizedText text) {
            return text.toByteLevel();
        }
    }

    /** SentencePiece's NMT cleanup: drop control characters, turn odd spaces into ' '. */
    record Nmt() implements Normalizer {
        @Override
        public NormalizedText normalize(NormalizedText text) {
            NormalizedText kept = text.filter(cp -> !((cp >= 0x01 && cp <= 0x08) || cp == 0x0B
                    || (cp >= 0x0E && cp <= 0x1F) || cp == 0x7F || cp == 0x8F || cp == 0x9F));
            return kept.mapCodePoints(cp -> switch (cp) {
                case 0x09, 0x0A, 0x0C, 0x0D, 0x1680, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2028, 0x2029,
                     0x2581, 0xFEFF, 0xFFFD -> " ";
                default -> Character.toString(cp);
            });
        }
    }

    record Sequence(List<Normalizer> normalizers) implements Normalizer {
        @Override
        public NormalizedText normalize(NormalizedText text) {
            for (Normalizer n : normalizers) {
                text = n.normalize(text);
            }
            return text;
        }
    }

    /** Reads a normalizer; null stands for JSON null (no normalization). */
    static Normalizer read(JsonReader json, JsonNode node, String path) {
        if (node == null || node.isNull()) {
            return null;
        }
        String type = json.type(node, path);
        return switch (type) {
            case "NFC" -> new Unicode(java.text.Normalizer.Form.NFC);
            case "NFD" -> new Unicode(java.text.Normalizer.Form.NFD);
            case "NFKC" -> new Unicode(java.text.Normalizer.Form.NFKC);
            case "NFKD" -> new Unicode(java.text.Normalizer.Form.NFKD);
            case "Lowercase" -> new Lowercase();
            case "Strip" -> new Strip(json.bool(node, "strip_left", path, true), json.bool(node, "strip_right", path, true));
            case "StripAccents" -> new StripAccents();
            case "Replace" -> new Replace(json.pattern(node, "pattern", path), json.string(node, "content", path),
                    json.where(path));
            case "Prepend" -> new Prepend(json.string(node, "prepend", path));
            case "ByteLevel" -> new ByteLevel();
            case "Nmt" -> new Nmt();
            case "Sequence" -> {
                String at = JsonReader.child(path, "normalizers");
                JsonNode list = json.array(json.required(node, "normalizers", path), at);
                List<Normalizer> parts = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) {
                    Normalizer part = read(json, list.get(i), JsonReader.index(at, i));
                    if (part != null) {
                        parts.add(part);
                    }
                }
                yield new Sequence(List.copyOf(parts));
            }
            default -> throw json.error(path, "unsupported normalizer type \"" + type + "\"");
        };
    }
}
