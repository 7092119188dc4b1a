package dev.qlora4j.model.chat;

import java.util.ArrayList;
import java.util.List;

/**
 * jinja2's lexer as transformers configures it: {@code trim_blocks} (the first newline after a
 * block or comment tag goes), {@code lstrip_blocks} (spaces and tabs from the start of a line to a
 * block or comment tag go), {@code -} and {@code +} whitespace control on every tag, raw blocks,
 * \r\n and \r read as \n, and one trailing newline of the template dropped
 * ({@code keep_trailing_newline} off). Comments are dropped here.
 */
final class JinjaLexer {
    enum Kind { TEXT, VAR_BEGIN, VAR_END, BLOCK_BEGIN, BLOCK_END, NAME, STRING, INT, FLOAT, OP, EOF }

    record Token(Kind kind, String value, int line) {
        boolean is(Kind k, String v) {
            return kind == k && value.equals(v);
        }

        String describe() {
            return switch (kind) {
                case EOF -> "end of template";
                case VAR_END -> "'}}'";
                case BLOCK_END -> "'%}'";
                case STRING -> "string";
                default -> "'" + value + "'";
            };
        }
    }

    private static final String[] OPERATORS = {"**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=",
            "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", ";"};

    private final String src;
    private final String origin;
    private final List<Token> tokens = new ArrayList<>();
    private int pos;
    private int line = 1;

    private JinjaLexer(String source, String origin) {
        String s = source.replace("\r\n", "\n").replace('\r', '\n');
        if (s.endsWith("\n")) s = s.substring(0, s.length() - 1);
        this.src = s;
        this.origin = origin;
    }

    static List<Token> tokenize(String source, String origin) {
        JinjaLexer lexer = new JinjaLexer(source, origin);
        lexer.run();
        return lexer.tokens;
    }

    private JinjaException error(String message, int atLine) {
        return new JinjaException("chat template syntax error: " + message, atLine);
    }

    private void run() {
        while (pos < src.length()) {
            int open = nextOpener(pos);
            String text = src.substring(pos, open < 0 ? src.length() : open);
            if (open < 0) {
                emitText(text);
                pos = src.length();
                break;
            }
            char type = src.charAt(open + 1);
            char sign = open + 2 < src.length() ? src.charAt(open + 2) : 0;
            boolean lineStarting = pos == 0 || src.charAt(pos - 1) == '\n';
            if (sign == '-') text = PyStrings.rstrip(text, null);
            else if (sign != '+' && type != '{') {
                int lineStart = text.lastIndexOf('\n') + 1;
                if ((lineStart > 0 || lineStarting) && lineStart < text.length() && blank(text, lineStart))
                    text = text.substring(0, lineStart);
            }
            emitText(text);
            int tagLine = line;
            pos = open + 2 + (sign == '-' || sign == '+' ? 1 : 0);
            switch (type) {
                case '#' -> comment(tagLine);
                case '{' -> {
                    tokens.add(new Token(Kind.VAR_BEGIN, "{{", tagLine));
                    inside("}}", Kind.VAR_END);
                }
                default -> {
                    if (rawBlock()) continue;
                    tokens.add(new Token(Kind.BLOCK_BEGIN, "{%", tagLine));
                    inside("%}", Kind.BLOCK_END);
                }
            }
        }
        tokens.add(new Token(Kind.EOF, "", line));
    }

    private int nextOpener(int from) {
        for (int i = src.indexOf('{', from); i >= 0 && i + 1 < src.length(); i = src.indexOf('{', i + 1)) {
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') return i;
        }
        return -1;
    }

    private static boolean blank(String s, int from) {
        for (int i = from; i < s.length(); i++) if (!PyStrings.isSpace(s.charAt(i))) return false;
        return true;
    }

    private void emitText(String text) {
        if (!text.isEmpty()) tokens.add(new Token(Kind.TEXT, text, line));
        line += count(text);
    }

    private static int count(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) == '\n') n++;
        return n;
    }

    /** Consumes the source up to {@code to} (exclusive) as part of a tag, counting lines. */
    private void advance(int to) {
        line += count(src.substring(pos, to));
        pos = to;
    }

    /** After a tag's closing delimiter: '-' strips all whitespace, '+' nothing, else (blocks, comments) one newline. */
    private void afterClose(char sign, boolean block) {
        if (sign == '-') {
            int i = pos;
            while (i < src.length() && PyStrings.isSpace(src.charAt(i))) i++;
            advance(i);
        } else if (sign != '+' && block && pos < src.length() && src.charAt(pos) == '\n') {
            advance(pos + 1);
        }
    }

    private void comment(int tagLine) {
        int end = src.indexOf("#}", pos);
        if (end < 0) throw error("missing end of comment tag", tagLine);
        char sign = end > pos && (src.charAt(end - 1) == '-' || src.charAt(end - 1) == '+') ? src.charAt(end - 1) : 0;
        advance(end + 2);
        afterClose(sign, true);
    }

    /** {@code {% raw %}...{% endraw %}}: the text between, untouched. */
    private boolean rawBlock() {
        int i = skipSpace(pos);
        if (!src.startsWith("raw", i)) return false;
        int j = skipSpace(i + 3);
        char sign = 0;
        if (j < src.length() && (src.charAt(j) == '-' || src.charAt(j) == '+')) sign = src.charAt(j++);
        if (!src.startsWith("%}", j)) return false;
        int startLine = line;
        advance(j + 2);
        afterClose(sign, false);   // jinja2 keeps the newline after {% raw %} (it trims after endraw)
        int search = pos;
        while (true) {
            int open = src.indexOf("{%", search);
            if (open < 0) throw error("missing endraw for the raw block", startLine);
            int k = open + 2;
            char before = k < src.length() ? src.charAt(k) : 0;
            if (before == '-' || before == '+') k++;
            k = skipSpace(k);
            if (!src.startsWith("endraw", k)) {
                search = open + 2;
                continue;
            }
            k = skipSpace(k + 6);
            char after = 0;
            if (k < src.length() && (src.charAt(k) == '-' || src.charAt(k) == '+')) after = src.charAt(k++);
            if (!src.startsWith("%}", k)) throw error("unexpected text in endraw", line);
            String body = src.substring(pos, open);
            if (before == '-') body = PyStrings.rstrip(body, null);
            else if (before != '+') {
                int lineStart = body.lastIndexOf('\n') + 1;
                if (lineStart > 0 && lineStart < body.length() && blank(body, lineStart)) body = body.substring(0, lineStart);
            }
            emitText(body);
            line += count(src.substring(pos, open)) - count(body);   // emitText counted the kept text; the stripped part counts too
            pos = open;
            advance(k + 2);
            afterClose(after, true);
            return true;
        }
    }

    private int skipSpace(int i) {
        while (i < src.length() && PyStrings.isSpace(src.charAt(i))) i++;
        return i;
    }

    /** The tokens of an expression or statement up to its closing delimiter. */
    private void inside(String close, Kind endKind) {
        int tagLine = line;
        int depth = 0;   // open brackets: "}}" inside {'a': {'b': 1}} closes dicts, not the tag
        while (true) {
            int i = pos;
            while (i < src.length() && PyStrings.isSpace(src.charAt(i))) i++;
            advance(i);
            if (pos >= src.length()) throw error("unexpected end of template, expected '" + close + "'", tagLine);
            char c = src.charAt(pos);
            if (depth == 0 && (c == '-' || c == '+') && src.startsWith(close, pos + 1)) {
                advance(pos + 1 + close.length());
                tokens.add(new Token(endKind, close, line));
                afterClose(c, endKind == Kind.BLOCK_END);
                return;
            }
            if (depth == 0 && src.startsWith(close, pos)) {
                advance(pos + close.length());
                tokens.add(new Token(endKind, close, line));
                afterClose((char) 0, endKind == Kind.BLOCK_END);
                return;
            }
            if (c == '\'' || c == '"') string(c);
            else if (Character.isDigit(c)) number();
            else if (Character.isLetter(c) || c == '_') {
                int j = pos;
                while (j < src.length() && (Character.isLetterOrDigit(src.charAt(j)) || src.charAt(j) == '_')) j++;
                tokens.add(new Token(Kind.NAME, src.substring(pos, j), line));
                pos = j;
            } else {
                String op = null;
                for (String o : OPERATORS) if (src.startsWith(o, pos)) {
                    op = o;
                    break;
                }
                if (op == null) throw error("unexpected char '" + c + "'", line);
                if (op.equals("(") || op.equals("[") || op.equals("{")) depth++;
                else if ((op.equals(")") || op.equals("]") || op.equals("}")) && depth > 0) depth--;
                tokens.add(new Token(Kind.OP, op, line));
                pos += op.length();
            }
        }
    }

    private void number() {
        int j = pos;
        while (j < src.length() && (Character.isDigit(src.charAt(j)) || src.charAt(j) == '_')) j++;
        boolean isFloat = false;
        if (j + 1 < src.length() && src.charAt(j) == '.' && Character.isDigit(src.charAt(j + 1))) {
            isFloat = true;
            j++;
            while (j < src.length() && (Character.isDigit(src.charAt(j)) || src.charAt(j) == '_')) j++;
        }
        if (j < src.length() && (src.charAt(j) == 'e' || src.charAt(j) == 'E')) {
            int k = j + 1;
            if (k < src.length() && (src.charAt(k) == '+' || src.charAt(k) == '-')) k++;
            if (k < src.length() && Character.isDigit(src.charAt(k))) {
                isFloat = true;
                j = k;
                while (j < src.length() && Character.isDigit(src.charAt(j))) j++;
            }
        }
        tokens.add(new Token(isFloat ? Kind.FLOAT : Kind.INT, src.substring(pos, j).replace("_", ""), line));
        pos = j;
    }

    /** A string literal, its escapes decoded as Python's unicode-escape codec decodes them. */
    private void string(char quote) {
        int startLine = line;
        StringBuilder sb = new StringBuilder();
        int i = pos + 1;
        while (true) {
            if (i >= src.length()) throw error("unterminated string", startLine);
            char c = src.charAt(i);
            if (c == quote) break;
            if (c == '\n') line++;
            if (c != '\\' || i + 1 >= src.length()) {
                sb.append(c);
                i++;
                continue;
            }
            char e = src.charAt(i + 1);
            i += 2;
            switch (e) {
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'v' -> sb.append('\u000b');
                case 'a' -> sb.append('\u0007');
                case '0', '1', '2', '3', '4', '5', '6', '7' -> {
                    int start = i - 1, end = start;
                    while (end < src.length() && end < start + 3 && src.charAt(end) >= '0' && src.charAt(end) <= '7') end++;
                    sb.appendCodePoint(Integer.parseInt(src.substring(start, end), 8));
                    i = end;
                }
                case 'x', 'u', 'U' -> {
                    int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    if (i + n > src.length()) throw error("truncated \\" + e + " escape in a string", line);
                    sb.appendCodePoint(Integer.parseInt(src.substring(i, i + n), 16));
                    i += n;
                }
                case '\n' -> line++;
                case '\\', '\'', '"' -> sb.append(e);
                default -> sb.append('\\').append(e);
            }
        }
        tokens.add(new Token(Kind.STRING, sb.toString(), startLine));
        pos = i + 1;
    }

    String origin() {
        return origin;
    }
}
