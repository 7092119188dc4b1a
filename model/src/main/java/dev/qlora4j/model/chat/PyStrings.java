package dev.qlora4j.model.chat;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * Python {@code str} methods templates call ({@code .strip()}, {@code .split()}, ...), with
 * Python's definitions where Java's differ: whitespace is what {@code str.isspace} accepts (Java's
 * {@code String.strip} misses U+00A0 and friends, {@code String.trim} takes control characters),
 * indices count code points, and {@code split()} without a separator drops empty pieces.
 */
final class PyStrings {
    private PyStrings() {}

    /** The characters for which Python's str.isspace() is true. */
    static boolean isSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20) || cp == 0x85 || cp == 0xa0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f
                || cp == 0x3000;
    }

    private static boolean strippable(int cp, String chars) {
        return chars == null ? isSpace(cp) : chars.indexOf(cp) >= 0;
    }

    static String strip(String s, String chars) {
        return rstrip(lstrip(s, chars), chars);
    }

    static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            if (!strippable(cp, chars)) break;
            i += Character.charCount(cp);
        }
        return s.substring(i);
    }

    static String rstrip(String s, String chars) {
        int end = s.length();
        while (end > 0) {
            int cp = s.codePointBefore(end);
            if (!strippable(cp, chars)) break;
            end -= Character.charCount(cp);
        }
        return s.substring(0, end);
    }

    /** str.split(sep, maxsplit): sep null splits on whitespace runs and drops empty pieces. */
    static List<String> split(String s, String sep, int maxSplit) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            int i = 0, n = s.length();
            while (true) {
                while (i < n && isSpace(s.codePointAt(i))) i += Character.charCount(s.codePointAt(i));
                if (i >= n) break;
                if (maxSplit >= 0 && out.size() == maxSplit) {
                    // the remainder keeps its trailing whitespace, as in Python
                    out.add(s.substring(i));
                    break;
                }
                int start = i;
                while (i < n && !isSpace(s.codePointAt(i))) i += Character.charCount(s.codePointAt(i));
                out.add(s.substring(start, i));
            }
            return out;
        }
        if (sep.isEmpty()) throw new IllegalArgumentException("empty separator");
        int from = 0;
        while (maxSplit < 0 || out.size() < maxSplit) {
            int at = s.indexOf(sep, from);
            if (at < 0) break;
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    /** str.splitlines(): breaks at \n, \r\n, \r, \v, \f, \x1c-\x1e, \x85, U+2028, U+2029. */
    static List<String> splitlines(String s) {
        List<String> out = new ArrayList<>();
        int start = 0, i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            boolean br = c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || (c >= 0x1c && c <= 0x1e) || c == 0x85
                    || c == 0x2028 || c == 0x2029;
            if (!br) {
                i++;
                continue;
            }
            out.add(s.substring(start, i));
            i += c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n' ? 2 : 1;
            start = i;
        }
        if (start < s.length()) out.add(s.substring(start));
        return out;
    }

    static String replace(String s, String old, String replacement, int count) {
        if (count < 0) {
            if (!old.isEmpty()) return s.replace(old, replacement);
            count = Integer.MAX_VALUE;
        }
        StringBuilder sb = new StringBuilder();
        int from = 0, done = 0;
        if (old.isEmpty()) {
            // Python inserts the replacement before every code point and at the end
            int i = 0;
            while (i < s.length() && done < count) {
                sb.append(replacement);
                done++;
                int cp = s.codePointAt(i);
                sb.appendCodePoint(cp);
                i += Character.charCount(cp);
            }
            sb.append(s, i, s.length());
            if (i == s.length() && done < count) sb.append(replacement);
            return sb.toString();
        }
        while (done < count) {
            int at = s.indexOf(old, from);
            if (at < 0) break;
            sb.append(s, from, at).append(replacement);
            from = at + old.length();
            done++;
        }
        return sb.append(s.substring(from)).toString();
    }

    /** startswith / endswith with one prefix or a tuple (list) of them. */
    static boolean startsWith(String s, Object prefixes) {
        for (String p : candidates(prefixes)) if (s.startsWith(p)) return true;
        return false;
    }

    static boolean endsWith(String s, Object suffixes) {
        for (String p : candidates(suffixes)) if (s.endsWith(p)) return true;
        return false;
    }

    private static List<String> candidates(Object o) {
        if (o instanceof Collection<?> c) {
            List<String> out = new ArrayList<>();
            for (Object e : c) out.add(PyValues.str(e));
            return out;
        }
        return List.of(PyValues.str(o));
    }

    /** str.find: the code-point index of the first occurrence, or -1. */
    static int find(String s, String sub) {
        int at = s.indexOf(sub);
        return at < 0 ? -1 : s.codePointCount(0, at);
    }

    static int count(String s, String sub) {
        if (sub.isEmpty()) return s.codePointCount(0, s.length()) + 1;
        int n = 0, from = 0;
        while (true) {
            int at = s.indexOf(sub, from);
            if (at < 0) return n;
            n++;
            from = at + sub.length();
        }
    }

    static String upper(String s) {
        return s.toUpperCase(Locale.ROOT);
    }

    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    /** str.capitalize: the first character in title case, the rest lower case. */
    static String capitalize(String s) {
        if (s.isEmpty()) return s;
        int first = s.codePointAt(0);
        return new StringBuilder().appendCodePoint(Character.toTitleCase(first))
                .append(lower(s.substring(Character.charCount(first)))).toString();
    }

    /** str.title: title case at the start of each run of cased characters, lower case inside it. */
    static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            boolean cased = Character.isUpperCase(cp) || Character.isLowerCase(cp) || Character.isTitleCase(cp);
            if (cased) sb.appendCodePoint(previousCased ? Character.toLowerCase(cp) : Character.toTitleCase(cp));
            else sb.appendCodePoint(cp);
            previousCased = cased;
            i += Character.charCount(cp);
        }
        return sb.toString();
    }

    /**
     * jinja2's title filter (not str.title): words start after "-", whitespace or an opening
     * bracket, and each gets its first character upper-cased and the rest lower-cased, so
     * "they're" stays "They're".
     */
    static String titleWords(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean wordStart = true;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            boolean boundary = cp == '-' || cp == '(' || cp == '{' || cp == '[' || cp == '<' || isSpace(cp);
            if (boundary) sb.appendCodePoint(cp);
            else sb.append(wordStart ? upper(Character.toString(cp)) : lower(Character.toString(cp)));
            wordStart = boundary;
            i += Character.charCount(cp);
        }
        return sb.toString();
    }

    static String join(String sep, Object items) {
        StringBuilder sb = new StringBuilder();
        boolean first = true;
        Iterable<?> it = items instanceof Iterable<?> i ? i : items instanceof Object[] a ? List.of(a) : List.of(PyValues.str(items));
        for (Object o : it) {
            if (!first) sb.append(sep);
            first = false;
            sb.append(PyValues.str(o));
        }
        return sb.toString();
    }

    /** Python's len(str): code points, not UTF-16 units. */
    static int length(String s) {
        return s.codePointCount(0, s.length());
    }
}
