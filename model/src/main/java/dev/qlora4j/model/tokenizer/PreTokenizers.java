package dev.qlora4j.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.qlora4j.model.tokenizer.Splitter.Behavior;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** tokenizer.json's {@code pre_tokenizer}: the component types and how to read them. */
final class PreTokenizers {
    private PreTokenizers() {}

    /** GPT-2's word regex, used by ByteLevel when {@code use_regex} is true. */
    private static final OnigRegex GPT2 = OnigRegex.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+", "GPT-2 regex");

    /** The Whitespace pre-tokenizer's {@code \w+|[^\w\s]+}, in the regex crate's Unicode meaning. */
    private static final String RUST_WORD = "\\p{IsAlphabetic}\\p{M}\\p{Nd}\\p{Pc}\\x{200C}\\x{200D}";
    private static final OnigRegex WORDS_OR_SYMBOLS = OnigRegex.javaSyntax(
            "[" + RUST_WORD + "]+|[^" + RUST_WORD + "\\p{IsWhite_Space}]+");

    /** Cuts the pieces of a {@link PreTokenized} further (and may rewrite them). */
    interface PreTokenizer {
        void preTokenize(PreTokenized pieces);

        /** Whether this needs the original offsets of pieces (Metaspace's "first" scheme). */
        default boolean needsOrigins() {
            return false;
        }
    }

    record Split(OnigRegex pattern, Behavior behavior, boolean invert, String where) implements PreTokenizer {
        @Override
        public void preTokenize(PreTokenized pieces) {
            pieces.split(t -> {
                Splitter.Ranges r = Splitter.regexMatches(pattern, t.text, where);
                return Splitter.split(t, invert ? Splitter.invert(r) : r, behavior);
            });
        }
    }

    /** Optionally adds a leading space and splits with the GPT-2 regex, then maps bytes to the alphabet. */
    record ByteLevel(boolean addPrefixSpace, boolean useRegex) implements PreTokenizer {
        @Override
        public void preTokenize(PreTokenized pieces) {
            pieces.split(t -> {
                NormalizedText s = addPrefixSpace && !t.text.startsWith(" ") ? t.prepend(" ") : t;
                if (!useRegex) {
                    return List.of(s);
                }
                return Splitter.split(s, Splitter.regexMatches(GPT2, s.text, "GPT-2 regex"), Behavior.ISOLATED);
            });
            pieces.map(t -> t.toByteLevel());
        }
    }

    enum PrependScheme { ALWAYS, FIRST, NEVER }

    /** Spaces become the replacement character, which is prepended and then starts each word. */
    record Metaspace(int replacement, PrependScheme scheme, boolean split) implements PreTokenizer {
        @Override
        public void preTokenize(PreTokenized pieces) {
            String rep = Character.toString(replacement);
            pieces.split(t -> {
                Splitter.Ranges spaces = Splitter.charMatches(cp -> cp == ' ', t.text);
                NormalizedText s = t.replace(matchesOf(spaces), countMatches(spaces), rep);
                boolean prepend = switch (scheme) {
                    case ALWAYS -> true;
                    case FIRST -> s.originalStart == 0;
                    case NEVER -> false;
                };
                if (prepend && !s.text.startsWith(rep)) {
                    s = s.prepend(rep);
                }
                if (!split) {
                    return List.of(s);
                }
                return Splitter.split(s, Splitter.charMatches(cp -> cp == replacement, s.text),
                        Behavior.MERGED_WITH_NEXT);
            });
        }

        @Override
        public boolean needsOrigins() {
            return scheme == PrependScheme.FIRST;
        }
    }

    /** Splits on code points a predicate accepts (Digits, Punctuation, WhitespaceSplit, ...). */
    record CharSplit(java.util.function.IntPredicate isDelimiter, Behavior behavior) implements PreTokenizer {
        @Override
        public void preTokenize(PreTokenized pieces) {
            pieces.split(t -> Splitter.split(t, Splitter.charMatches(isDelimiter, t.text), behavior));
        }
    }

    /** Keeps runs of word characters and runs of symbols, drops whitespace. */
    record Whitespace() implements PreTokenizer {
        @Override
        public void preTokenize(PreTokenized pieces) {
            pieces.split(t -> Splitter.split(t,
                    Splitter.invert(Splitter.regexMatches(WORDS_OR_SYMBOLS, t.text, "Whitespace")), Behavior.REMOVED));
        }
    }

    record Sequence(List<PreTokenizer> parts) implements PreTokenizer {
        @Override
        public void preTokenize(PreTokenized pieces) {
            for (PreTokenizer p : parts) {
                p.preTokenize(pieces);
            }
        }

        @Override
        public boolean needsOrigins() {
            return parts.stream().anyMatch(PreTokenizer::needsOrigins);
        }
    }

    private static int[] matchesOf(Splitter.Ranges r) {
        int[] out = new int[2 * r.count];
        int n = 0;
        for (int k = 0; k < r.count; k++) {
            if (r.isMatch[k]) {
                out[n++] = r.start(k);
                out[n++] = r.end(k);
            }
        }
        return out;
    }

    private static int countMatches(Splitter.Ranges r) {
        int n = 0;
        for (int k = 0; k < r.count; k++) {
            n += r.isMatch[k] ? 1 : 0;
        }
        return n;
    }

    /** Reads a pre-tokenizer; null stands for JSON null (the whole piece goes to the model). */
    static PreTokenizer read(JsonReader json, JsonNode node, String path) {
        if (node == null || node.isNull()) {
            return null;
        }
        String type = json.type(node, path);
        return switch (type) {
            case "Split" -> new Split(json.pattern(node, "pattern", path),
                    Behavior.parse(json.string(node, "behavior", path), json.where(JsonReader.child(path, "behavior"))),
                    json.bool(node, "invert", path, false), json.where(path));
            case "ByteLevel" -> new ByteLevel(json.bool(node, "add_prefix_space", path, true),
                    json.bool(node, "use_regex", path, true));
            case "Metaspace" -> metaspace(json, node, path);
            case "Digits" -> new CharSplit(UnicodeProps::isNumeric,
                    json.bool(node, "individual_digits", path, false) ? Behavior.ISOLATED : Behavior.CONTIGUOUS);
            case "Punctuation" -> new CharSplit(UnicodeProps::isPunctuation, Behavior.parse(
                    json.optString(node, "behavior", path, "Isolated"), json.where(JsonReader.child(path, "behavior"))));
            case "WhitespaceSplit" -> new CharSplit(UnicodeProps::isWhitespace, Behavior.REMOVED);
            case "Whitespace" -> new Whitespace();
            case "CharDelimiterSplit" -> {
                int delimiter = json.singleChar(node, "delimiter", path);
                yield new CharSplit(cp -> cp == delimiter, Behavior.REMOVED);
            }
            case "BertPreTokenizer" -> new Sequence(List.of(
                    new CharSplit(UnicodeProps::isWhitespace, Behavior.REMOVED),
                    new CharSplit(UnicodeProps::isPunctuation, Behavior.ISOLATED)));
            case "Sequence" -> {
                String at = JsonReader.child(path, "pretokenizers");
                JsonNode list = json.array(json.required(node, "pretokenizers", path), at);
                List<PreTokenizer> parts = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) {
                    PreTokenizer part = read(json, list.get(i), JsonReader.index(at, i));
                    if (part != null) {
                        parts.add(part);
                    }
                }
                yield new Sequence(List.copyOf(parts));
            }
            default -> throw json.error(path, "unsupported pre_tokenizer type \"" + type + "\"");
        };
    }

    /** Older files carry add_prefix_space instead of prepend_scheme; false means "never". */
    static Metaspace metaspace(JsonReader json, JsonNode node, String path) {
        int replacement = json.singleChar(node, "replacement", path);
        String schemeName = json.optString(node, "prepend_scheme", path, "always");
        PrependScheme scheme = switch (schemeName) {
            case "always" -> PrependScheme.ALWAYS;
            case "first" -> PrependScheme.FIRST;
            case "never" -> PrependScheme.NEVER;
            default -> throw json.error(JsonReader.child(path, "prepend_scheme"),
                    "unknown prepend_scheme \"" + schemeName.toLowerCase(Locale.ROOT) + "\"");
        };
        JsonNode legacy = node.get("add_prefix_space");
        if (legacy != null && legacy.isBoolean() && !legacy.booleanValue()) {
            if (scheme != PrependScheme.NEVER) {
                throw json.error(JsonReader.child(path, "add_prefix_space"),
                        "add_prefix_space false contradicts prepend_scheme \"" + schemeName + "\"");
            }
        }
        return new Metaspace(replacement, scheme, json.bool(node, "split", path, true));
    }
}
