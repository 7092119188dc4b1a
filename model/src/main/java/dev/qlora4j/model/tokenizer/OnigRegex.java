package dev.qlora4j.model.tokenizer;

import dev.qlora4j.tensor.BadInputException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A regular expression written for oniguruma (tokenizers' default regex engine, Ruby syntax),
 * run by {@code java.util.regex}. The two engines agree on most syntax but not on the meaning of
 * several escapes, so the pattern is rewritten before compiling (each rule checked against
 * tokenizers 0.23 itself):
 * <ul>
 *   <li>{@code \s} is Unicode White_Space (U+0085 and U+00A0 yes, U+200B and U+FEFF no);
 *       {@code \d} is Nd; {@code \w} is L, M, N or Pc (so {@code ²} and {@code Ⅷ} are word
 *       characters, ZWJ is not); {@code \h} is a hex digit, not horizontal space;</li>
 *   <li>{@code .} excludes only {@code \n}; {@code ^} and {@code $} always match at line breaks;
 *       {@code (?m)} means dot-all; {@code (?i)} folds case with Unicode rules;</li>
 *   <li>{@code \p{^X}} negates, script names need no {@code Is}, POSIX brackets
 *       ({@code [[:alpha:]]}) exist, {@code {,n}} means {@code {0,n}} and a brace that does not
 *       start a quantifier is literal.</li>
 * </ul>
 * Matches are enumerated like onig's {@code find_iter}: an empty match right where the previous
 * match ended is skipped, and the search always resumes on a code point boundary.
 */
final class OnigRegex {
    private static final String WORD = "\\p{L}\\p{M}\\p{N}\\p{Pc}";
    private static final int FLAGS = Pattern.UNIX_LINES | Pattern.MULTILINE | Pattern.UNICODE_CASE;

    private final Pattern pattern;

    private OnigRegex(Pattern pattern) {
        this.pattern = pattern;
    }

    /** Compiles an oniguruma pattern; {@code where} names it in the error for a bad pattern. */
    static OnigRegex compile(String onigPattern, String where) {
        try {
            return new OnigRegex(Pattern.compile(translate(onigPattern), FLAGS));
        } catch (IllegalArgumentException e) {
            String reason = e instanceof PatternSyntaxException p ? p.getDescription() : e.getMessage();
            throw BadInputException.at(where, "invalid regex /" + onigPattern + "/: " + reason);
        }
    }

    /** A pattern matching {@code literal} exactly (tokenizers escapes String patterns into regexes). */
    static OnigRegex literal(String literal) {
        return new OnigRegex(Pattern.compile(literal, Pattern.LITERAL));
    }

    /** A pattern already in java.util.regex syntax (for the few regexes tokenizers runs with the regex crate). */
    static OnigRegex javaSyntax(String javaPattern) {
        return new OnigRegex(Pattern.compile(javaPattern));
    }

    /**
     * Calls {@code sink} with the start and end (UTF-16 indices) of every match in order.
     * A regex that recurses too deeply on a long input is reported as bad input.
     */
    void forEachMatch(String text, MatchSink sink, String where) {
        Matcher m = pattern.matcher(text);
        int from = 0;
        int lastEnd = -1;
        int n = text.length();
        try {
            while (from <= n && m.find(from)) {
                int start = m.start();
                int end = m.end();
                if (start == end && end == lastEnd) {
                    if (end >= n) {
                        break;
                    }
                    from = end + Character.charCount(text.codePointAt(end));
                    continue;
                }
                sink.match(start, end);
                lastEnd = end;
                from = end;
            }
        } catch (StackOverflowError e) {
            throw BadInputException.at(where, "regex /" + pattern.pattern() + "/ recursed too deeply on a "
                    + n + "-character input");
        }
    }

    @FunctionalInterface
    interface MatchSink {
        void match(int start, int end);
    }

    /** Rewrites oniguruma (Ruby) syntax into the java.util.regex equivalent. */
    static String translate(String p) {
        StringBuilder out = new StringBuilder(p.length() + 16);
        int depth = 0; // nesting of character classes
        int i = 0;
        int n = p.length();
        while (i < n) {
            char ch = p.charAt(i);
            if (ch == '\\') {
                i = escape(p, i, depth > 0, out);
            } else if (depth > 0) {
                if (ch == '[' && p.startsWith("[:", i)) {
                    int close = p.indexOf(":]", i + 2);
                    String posix = close < 0 ? null : posixClass(p.substring(i + 2, close));
                    if (posix == null) {
                        out.append("\\[");
                        i++;
                    } else {
                        out.append(posix);
                        i = close + 2;
                    }
                } else if (ch == '[') {
                    depth++;
                    i = openClass(p, i, out);
                } else {
                    if (ch == ']') {
                        depth--;
                    }
                    out.append(ch);
                    i++;
                }
            } else if (ch == '[') {
                depth = 1;
                i = openClass(p, i, out);
            } else if (ch == '(' && p.startsWith("(?", i)) {
                i = group(p, i, out);
            } else if (ch == '{') {
                i = brace(p, i, out);
            } else {
                out.append(ch);
                i++;
            }
        }
        return out.toString();
    }

    /** Copies "[" or "[^"; a "]" right after it is a literal in Ruby syntax. */
    private static int openClass(String p, int i, StringBuilder out) {
        out.append('[');
        i++;
        if (i < p.length() && p.charAt(i) == '^') {
            out.append('^');
            i++;
        }
        if (i < p.length() && p.charAt(i) == ']') {
            out.append("\\]");
            i++;
        }
        return i;
    }

    private static int group(String p, int i, StringBuilder out) {
        int j = i + 2;
        if (j < p.length() && p.charAt(j) == '#') { // comment group: Java has none
            int close = p.indexOf(')', j);
            return close < 0 ? p.length() : close + 1;
        }
        out.append("(?");
        // inline flags: Ruby's m is Java's s (dot matches newline)
        while (j < p.length() && "imx-".indexOf(p.charAt(j)) >= 0) {
            char f = p.charAt(j);
            out.append(f == 'm' ? 's' : f);
            j++;
        }
        return j;
    }

    /** A quantifier brace is copied ({,n} becomes {0,n}); any other brace is a literal. */
    private static int brace(String p, int i, StringBuilder out) {
        int j = i + 1;
        int n = p.length();
        int lowStart = j;
        while (j < n && Character.isDigit(p.charAt(j)) && p.charAt(j) < 128) {
            j++;
        }
        boolean hasLow = j > lowStart;
        boolean comma = j < n && p.charAt(j) == ',';
        if (comma) {
            j++;
        }
        int highStart = j;
        while (j < n && Character.isDigit(p.charAt(j)) && p.charAt(j) < 128) {
            j++;
        }
        boolean hasHigh = j > highStart;
        boolean closed = j < n && p.charAt(j) == '}';
        if (closed && (hasLow || (comma && hasHigh))) {
            out.append('{').append(hasLow ? p.substring(lowStart, comma ? highStart - 1 : j) : "0");
            if (comma) {
                out.append(',').append(p, highStart, j);
            }
            out.append('}');
            return j + 1;
        }
        out.append("\\{");
        return i + 1;
    }

    private static int escape(String p, int i, boolean inClass, StringBuilder out) {
        if (i + 1 >= p.length()) {
            out.append("\\\\");
            return i + 1;
        }
        char e = p.charAt(i + 1);
        switch (e) {
            case 's' -> out.append("\\p{IsWhite_Space}");
            case 'S' -> out.append("\\P{IsWhite_Space}");
            case 'd' -> out.append("\\p{Nd}");
            case 'D' -> out.append("\\P{Nd}");
            case 'w' -> out.append(inClass ? WORD : "[" + WORD + "]");
            case 'W' -> out.append("[^" + WORD + "]");
            case 'h' -> out.append(inClass ? "0-9a-fA-F" : "[0-9a-fA-F]");
            case 'v' -> out.append("\\x{0B}"); // Java's \v is a class of vertical whitespace
            case 'H' -> out.append("[^0-9a-fA-F]");
            case 'b' -> out.append(inClass ? "\\x{08}" : "(?:(?<=[" + WORD + "])(?![" + WORD + "])|(?<![" + WORD
                    + "])(?=[" + WORD + "]))");
            case 'B' -> out.append("(?:(?<=[" + WORD + "])(?=[" + WORD + "])|(?<![" + WORD + "])(?![" + WORD + "]))");
            case 'p', 'P' -> {
                return property(p, i, e == 'P', out);
            }
            default -> out.append('\\').append(e);
        }
        return i + 2;
    }

    private static int property(String p, int i, boolean negated, StringBuilder out) {
        int open = i + 2;
        if (open >= p.length() || p.charAt(open) != '{') {
            out.append(p, i, Math.min(i + 3, p.length())); // \pL: same meaning in Java
            return Math.min(i + 3, p.length());
        }
        int close = p.indexOf('}', open);
        if (close < 0) {
            throw new IllegalArgumentException("unclosed \\p{");
        }
        String name = p.substring(open + 1, close);
        if (name.startsWith("^")) {
            negated = !negated;
            name = name.substring(1);
        }
        out.append(negated ? "\\P{" : "\\p{").append(javaPropertyName(name)).append('}');
        return close + 1;
    }

    private static String javaPropertyName(String name) {
        String key = name.replace("_", "").replace(" ", "").replace("-", "").toLowerCase(Locale.ROOT);
        switch (key) {
            case "alpha", "alphabetic" -> { return "IsAlphabetic"; }
            case "digit" -> { return "Nd"; }
            case "space", "whitespace" -> { return "IsWhite_Space"; }
            case "upper", "uppercase" -> { return "IsUppercase"; }
            case "lower", "lowercase" -> { return "IsLowercase"; }
            case "punct" -> { return "P"; }
            case "cntrl" -> { return "Cc"; }
            default -> { }
        }
        if (name.length() <= 2) {
            return name; // general category: L, Lu, N, Nd, ...
        }
        try {
            Character.UnicodeScript.forName(name);
            return "Is" + name;
        } catch (IllegalArgumentException notScript) {
            return name; // let Java resolve long category names or reject the pattern
        }
    }

    private static String posixClass(String name) {
        return switch (name) {
            case "alpha" -> "\\p{IsAlphabetic}";
            case "digit" -> "\\p{Nd}";
            case "alnum" -> "\\p{IsAlphabetic}\\p{Nd}";
            case "space" -> "\\p{IsWhite_Space}";
            case "upper" -> "\\p{IsUppercase}";
            case "lower" -> "\\p{IsLowercase}";
            case "punct" -> "\\p{P}";
            case "cntrl" -> "\\p{Cc}";
            case "xdigit" -> "0-9a-fA-F";
            case "word" -> WORD;
            case "blank" -> "\\p{Zs}\\t";
            default -> null;
        };
    }
}
