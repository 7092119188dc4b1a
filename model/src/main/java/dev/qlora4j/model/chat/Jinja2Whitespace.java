package dev.qlora4j.model.chat;

import dev.qlora4j.tensor.BadInputException;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Applies jinja2's whitespace rules to a template's text, the way jinja2's lexer does with
 * transformers' trim_blocks=True and lstrip_blocks=True, and hands jinjava a template whose
 * whitespace is already final (jinjava's own trim/lstrip options are off: its lstrip also eats
 * spaces before a tag in the middle of a line, and it knows no {@code +} marker).
 *
 * <ul>
 *   <li>{@code {%-}, {@code {{-}, {@code {#-}: all whitespace before the tag goes;
 *       {@code -%}}, {@code -}}}, {@code -#}}: all whitespace after it.</li>
 *   <li>lstrip_blocks: spaces and tabs between the start of a line and a block or comment tag go,
 *       unless the tag opens with {@code +}.</li>
 *   <li>trim_blocks: the first newline after a block or comment tag goes, unless it closes with
 *       {@code +%}}.</li>
 *   <li>A tag ends at the first closing delimiter outside strings and brackets.</li>
 * </ul>
 * The markers are removed. Removed newlines are re-emitted inside comments so that jinjava's
 * line numbers still match the source.
 */
final class Jinja2Whitespace {
    private static final Pattern END_RAW = Pattern.compile("\\{%([-+]?)\\s*endraw\\s*([-+]?)%}", Pattern.UNICODE_CHARACTER_CLASS);

    private final String src;
    private final String origin;
    private final StringBuilder out;
    private int pos;
    private boolean lineStarting = true;
    private int pendingNewlines;

    private Jinja2Whitespace(String src, String origin) {
        this.src = src;
        this.origin = origin;
        this.out = new StringBuilder(src.length() + 16);
    }

    static String apply(String source, String origin) {
        Jinja2Whitespace w = new Jinja2Whitespace(source, origin);
        w.run();
        return w.out.toString();
    }

    private void run() {
        int n = src.length();
        while (pos < n) {
            int start = nextTagStart(pos);
            if (start < 0) {
                out.append(src, pos, n);
                return;
            }
            char kind = src.charAt(start + 1);
            int p = start + 2;
            char control = p < n && (src.charAt(p) == '-' || src.charAt(p) == '+') ? src.charAt(p) : 0;
            if (control != 0) p++;
            emitText(strip(src.substring(pos, start), control, kind != '{'));
            switch (kind) {
                case '#' -> comment(start, p);
                case '%' -> {
                    int end = tagEnd(start, p, "%}");
                    if (src.substring(p, innerEnd(p, end)).strip().equals("raw")) raw(start, p, end);
                    else block(p, end, "{%", "%}", true);
                }
                default -> block(p, tagEnd(start, p, "}}"), "{{", "}}", false);
            }
        }
    }

    /** The first "{{", "{%" or "{#" at or after {@code from}, or -1. */
    private int nextTagStart(int from) {
        for (int i = src.indexOf('{', from); i >= 0 && i + 1 < src.length(); i = src.indexOf('{', i + 1)) {
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') return i;
        }
        return -1;
    }

    /** The text before a tag after "-" (strip all) or lstrip_blocks (strip the line's indentation). */
    private String strip(String text, char control, boolean blockOrComment) {
        String kept = text;
        if (control == '-') kept = PyStrings.rstrip(text, null);
        else if (control != '+' && blockOrComment) {
            int lineStart = text.lastIndexOf('\n') + 1;
            if ((lineStart > 0 || lineStarting) && lineStart < text.length() && allSpace(text, lineStart))
                kept = text.substring(0, lineStart);
        }
        countRemoved(text, kept.length(), text.length());
        return kept;
    }

    private static boolean allSpace(String s, int from) {
        for (int i = from; i < s.length(); i++) if (!PyStrings.isSpace(s.charAt(i))) return false;
        return true;
    }

    private void countRemoved(String s, int from, int to) {
        for (int i = from; i < to; i++) if (s.charAt(i) == '\n') pendingNewlines++;
    }

    private void comment(int start, int p) {
        int end = src.indexOf("#}", p);
        if (end < 0) throw syntax(start, "missing end of comment tag");
        char endControl = end > p && (src.charAt(end - 1) == '-' || src.charAt(end - 1) == '+') ? src.charAt(end - 1) : 0;
        countRemoved(src, start, end);
        pos = end + 2;
        afterTag(endControl, true);
        emitTag("");
    }

    private void block(int p, int end, String open, String close, boolean isBlock) {
        int innerEnd = innerEnd(p, end);
        char endControl = innerEnd < end ? src.charAt(end - 1) : 0;
        String inner = separateClosingBraces(src.substring(p, innerEnd));
        pos = end + 2;
        afterTag(endControl, isBlock);
        emitTag(open + inner + close);
    }

    /** {% raw %}: the body is literal up to {% endraw %}; jinja2 does not trim the newline after raw. */
    private void raw(int start, int p, int end) {
        char beginControl = innerEnd(p, end) < end ? src.charAt(end - 1) : 0;
        int before = pos = end + 2;
        if (beginControl == '-') skipSpace();
        countRemoved(src, before, pos);
        lineStarting = pos > before && src.charAt(pos - 1) == '\n';
        Matcher m = END_RAW.matcher(src);
        if (!m.find(pos)) throw syntax(start, "missing endraw (unclosed raw block)");
        char contentControl = m.group(1).isEmpty() ? 0 : m.group(1).charAt(0);
        String body = strip(src.substring(pos, m.start()), contentControl, true);
        char endControl = m.group(2).isEmpty() ? 0 : m.group(2).charAt(0);
        pos = m.end();
        afterTag(endControl, true);
        emitTag("{% raw %}" + body + "{% endraw %}");
    }

    /** Whitespace after a tag: all of it after "-", one newline after a block or comment (trim_blocks). */
    private void afterTag(char endControl, boolean blockOrComment) {
        int before = pos;
        if (endControl == '-') skipSpace();
        else if (endControl != '+' && blockOrComment && pos < src.length() && src.charAt(pos) == '\n') pos++;
        countRemoved(src, before, pos);
        lineStarting = pos > before && src.charAt(pos - 1) == '\n';
    }

    private void skipSpace() {
        while (pos < src.length() && PyStrings.isSpace(src.charAt(pos))) pos++;
    }

    /** The index of the closing delimiter: the first one outside strings with brackets balanced. */
    private int tagEnd(int start, int p, String close) {
        int depth = 0;
        for (int i = p; i < src.length(); i++) {
            char c = src.charAt(i);
            if (c == '\'' || c == '"') {
                i = stringEnd(start, i);
                continue;
            }
            if (depth == 0 && src.startsWith(close, i)) return i;
            if (c == '(' || c == '[' || c == '{') depth++;
            else if ((c == ')' || c == ']' || c == '}') && depth > 0) depth--;
        }
        throw syntax(start, close.equals("}}") ? "unexpected end of template, expected 'end of print statement'"
                : "unexpected end of template, expected 'end of statement block'");
    }

    private int stringEnd(int start, int quoteAt) {
        char q = src.charAt(quoteAt);
        for (int i = quoteAt + 1; i < src.length(); i++) {
            char c = src.charAt(i);
            if (c == '\\') i++;
            else if (c == q) return i;
        }
        throw syntax(start, "unexpected end of template: unterminated string");
    }

    /** The end of a tag's expression, before a "-" or "+" marker that precedes the closing delimiter. */
    private int innerEnd(int p, int end) {
        return end > p && (src.charAt(end - 1) == '-' || src.charAt(end - 1) == '+') ? end - 1 : end;
    }

    /** jinjava closes an expression at the first "}}" even inside a dict literal: keep them apart. */
    private static String separateClosingBraces(String inner) {
        if (!inner.contains("}}")) return inner;
        StringBuilder sb = new StringBuilder(inner.length() + 4);
        char quote = 0;
        for (int i = 0; i < inner.length(); i++) {
            char c = inner.charAt(i);
            sb.append(c);
            if (quote != 0) {
                if (c == '\\' && i + 1 < inner.length()) sb.append(inner.charAt(++i));
                else if (c == quote) quote = 0;
            } else if (c == '\'' || c == '"') quote = c;
            else if (c == '}' && i + 1 < inner.length() && inner.charAt(i + 1) == '}') sb.append(' ');
        }
        return sb.toString();
    }

    private void emitText(String text) {
        out.append(text);
    }

    /**
     * Appends a tag, preceded by a comment holding the newlines removed so far. Text ending in
     * "{" would merge with the tag into another delimiter, so that brace is printed by an expression.
     */
    private void emitTag(String tag) {
        if (!out.isEmpty() && out.charAt(out.length() - 1) == '{') {
            out.setLength(out.length() - 1);
            out.append("{{ '{' }}");
        }
        if (pendingNewlines > 0) {
            out.append("{#").append("\n".repeat(pendingNewlines)).append("#}");
            pendingNewlines = 0;
        }
        out.append(tag);
    }

    private BadInputException syntax(int at, String what) {
        return BadInputException.at(origin, "chat template syntax error: " + what + " at line " + lineOf(at));
    }

    private int lineOf(int at) {
        int line = 1;
        for (int i = 0; i < at && i < src.length(); i++) if (src.charAt(i) == '\n') line++;
        return line;
    }
}
