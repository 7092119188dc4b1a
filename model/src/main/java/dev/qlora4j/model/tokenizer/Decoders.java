package dev.qlora4j.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * tokenizer.json's {@code decoder}: turns token strings back into text. Each decoder maps a list
 * of strings to a list of strings ({@code decode_chain}); the final text is their concatenation.
 */
final class Decoders {
    private Decoders() {}

    interface Decoder {
        List<String> decodeChain(List<String> tokens);
    }

    /** Alphabet characters back to bytes, then UTF-8 with U+FFFD for invalid sequences. */
    record ByteLevel() implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (String token : tokens) {
                byte[] mapped = new byte[token.length()];
                int n = 0;
                boolean allMapped = true;
                for (int i = 0; i < token.length(); ) {
                    int cp = token.codePointAt(i);
                    int b = ByteLevelAlphabet.byteOf(cp);
                    if (b < 0) {
                        allMapped = false;
                        break;
                    }
                    mapped[n++] = (byte) b;
                    i += Character.charCount(cp);
                }
                if (allMapped) {
                    bytes.write(mapped, 0, n);
                } else {
                    bytes.writeBytes(token.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                }
            }
            return List.of(Utf8.decodeLossy(bytes.toByteArray()));
        }
    }

    /**
     * The replacement character becomes a space, except that in the first token it is dropped
     * when a prefix was prepended on the way in.
     */
    record Metaspace(int replacement, boolean dropInFirstToken) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (int t = 0; t < tokens.size(); t++) {
                String token = tokens.get(t);
                StringBuilder sb = new StringBuilder(token.length());
                for (int i = 0; i < token.length(); ) {
                    int cp = token.codePointAt(i);
                    if (cp != replacement) {
                        sb.appendCodePoint(cp);
                    } else if (t != 0 || !dropInFirstToken) {
                        sb.append(' ');
                    }
                    i += Character.charCount(cp);
                }
                out.add(sb.toString());
            }
            return out;
        }
    }

    /** Replaces every match in each token by a literal string. */
    record Replace(OnigRegex pattern, String content, String where) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (String token : tokens) {
                StringBuilder sb = new StringBuilder(token.length());
                int[] last = {0};
                pattern.forEachMatch(token, (start, end) -> {
                    sb.append(token, last[0], start).append(content);
                    last[0] = end;
                }, where);
                sb.append(token, last[0], token.length());
                out.add(sb.toString());
            }
            return out;
        }
    }

    /**
     * Runs of {@code <0xNN>} tokens become the text their bytes spell; a run that is not valid
     * UTF-8 becomes one U+FFFD per byte.
     */
    record ByteFallback() implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            ByteArrayOutputStream run = new ByteArrayOutputStream();
            for (String token : tokens) {
                int b = byteToken(token);
                if (b >= 0) {
                    run.write(b);
                    continue;
                }
                flush(run, out);
                out.add(token);
            }
            flush(run, out);
            return out;
        }

        private static void flush(ByteArrayOutputStream run, List<String> out) {
            if (run.size() == 0) {
                return;
            }
            String text = Utf8.decodeStrict(run.toByteArray());
            if (text != null) {
                out.add(text);
            } else {
                for (int i = 0; i < run.size(); i++) {
                    out.add("\uFFFD");
                }
            }
            run.reset();
        }

        /** The byte of a 6-byte "<0xNN>" token, or -1 (Rust's u8::from_str_radix accepts a '+' sign). */
        private static int byteToken(String token) {
            if (token.length() != 6 || !token.startsWith("<0x") || token.charAt(5) != '>') {
                return -1;
            }
            String hex = token.substring(3, 5);
            if (hex.charAt(0) == '+') {
                int d = Character.digit(hex.charAt(1), 16);
                return hex.charAt(1) < 128 ? d : -1;
            }
            int hi = hex.charAt(0) < 128 ? Character.digit(hex.charAt(0), 16) : -1;
            int lo = hex.charAt(1) < 128 ? Character.digit(hex.charAt(1), 16) : -1;
            return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
        }
    }

    /** Concatenates everything into one string. */
    record Fuse() implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            return List.of(String.join("", tokens));
        }
    }

    /** Removes up to {@code start} leading and {@code stop} trailing copies of a character per token. */
    record Strip(int content, int start, int stop) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (String token : tokens) {
                int[] cps = token.codePoints().toArray();
                int from = 0;
                while (from < Math.min(start, cps.length) && cps[from] == content) {
                    from++;
                }
                int to = cps.length;
                for (int i = 0; i < stop && to > from && cps[to - 1] == content; i++) {
                    to--;
                }
                out.add(new String(cps, from, to - from));
            }
            return out;
        }
    }

    record Sequence(List<Decoder> decoders) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            for (Decoder d : decoders) {
                tokens = d.decodeChain(tokens);
            }
            return tokens;
        }
    }

    static Decoder read(JsonReader json, JsonNode node, String path) {
        if (node == null || node.isNull()) {
            return null;
        }
        String type = json.type(node, path);
        return switch (type) {
            case "ByteLevel" -> new ByteLevel();
            case "Metaspace" -> {
                PreTokenizers.Metaspace m = PreTokenizers.metaspace(json, node, path);
                yield new Metaspace(m.replacement(), m.scheme() != PreTokenizers.PrependScheme.NEVER);
            }
            case "Replace" -> new Replace(json.pattern(node, "pattern", path), json.string(node, "content", path),
                    json.where(path));
            case "ByteFallback" -> new ByteFallback();
            case "Fuse" -> new Fuse();
            case "Strip" -> new Strip(json.singleChar(node, "content", path), json.count(node, "start", path, 0),
                    json.count(node, "stop", path, 0));
            case "Sequence" -> {
                String at = JsonReader.child(path, "decoders");
                JsonNode list = json.array(json.required(node, "decoders", path), at);
                List<Decoder> parts = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) {
                    Decoder part = read(json, list.get(i), JsonReader.index(at, i));
                    if (part != null) {
                        parts.add(part);
                    }
                }
                yield new Sequence(List.copyOf(parts));
            }
            default -> throw json.error(path, "unsupported decoder type \"" + type + "\"");
        };
    }
}
