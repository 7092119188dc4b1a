package dev.qlora4j.model.chat;

/** Scanning helpers for the expression text inside template tags. */
final class TemplateText {
    private TemplateText() {}

    /**
     * Index of {@code word} as a whole word outside strings and brackets at or after {@code from},
     * or -1.
     */
    static int findKeyword(String s, String word, int from) {
        int depth = 0;
        char quote = 0;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') i++;
                else if (c == quote) quote = 0;
            } else if (c == '\'' || c == '"') quote = c;
            else if (c == '(' || c == '[' || c == '{') depth++;
            else if (c == ')' || c == ']' || c == '}') depth--;
            else if (depth == 0 && s.startsWith(word, i) && (i == 0 || !isNameChar(s.charAt(i - 1)))
                    && (i + word.length() == s.length() || !isNameChar(s.charAt(i + word.length()))))
                return i;
        }
        return -1;
    }

    static boolean isNameChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_';
    }
}
