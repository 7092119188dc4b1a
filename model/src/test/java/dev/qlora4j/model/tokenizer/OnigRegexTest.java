package dev.qlora4j.model.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Oniguruma meanings that java.util.regex does not share. Each row is a Split pre-tokenizer with
 * behavior Removed run by tokenizers 0.23 (npm): what is left is the text the regex did NOT match.
 * Escapes in the CSV: \\uXXXX and \\n are decoded by the test.
 */
class OnigRegexTest {
    @ParameterizedTest(name = "/{0}/ on \"{1}\"")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        // \w is L, M, N or Pc: ², Ⅷ and 〇 are word characters, the join controls are not
        "\\w|²Ⅷ〇\\u200d\\u200c_a٣|\\u200d\\u200c",
        // \s is White_Space: U+0085, U+1680, U+00A0, U+2028 yes; U+200B, U+FEFF, U+180E, U+001C no
        "\\s|\\u0085\\u200b\\ufeff\\u180e\\u1680\\u00a0\\u2028\\u001c|\\u200b\\ufeff\\u180e,\\u001c",
        // \d is Nd only
        "\\d|٣²5|²",
        // \h is a hex digit (not horizontal whitespace as in Java)
        "\\h|aG9 \\t|G, \\t",
        // . excludes only \n
        ".|a\\nb\\rc\\u2028d|\\n",
        // ^ matches after every \n
        "^.|ab\\ncd\\n|b\\n,d\\n",
        // (?i) folds with Unicode rules
        "(?i:ſ)|sSſ|",
        "(?i:'s)|'S'ſ|",
        // empty matches right after a match are skipped
        "x*|axxb|a,b",
        "\\p{Han}|日本a|a",
        "[[:alpha:]]|aé1|1",
        "\\p{^L}|a1|a",
        "a{,2}|aaa|",
        "a{|a{|",
    })
    void keepsWhatTheLibraryKeeps(String regex, String text, String kept) {
        OnigRegex re = OnigRegex.compile(regex, "test");
        String input = unescape(text);
        List<String> pieces = Splitter.split(NormalizedText.of(input, false),
                        Splitter.regexMatches(re, input, "test"), Splitter.Behavior.REMOVED)
                .stream().map(t -> t.text).filter(s -> !s.isEmpty()).toList();
        List<String> expected = kept == null ? List.of()
                : java.util.Arrays.stream(kept.split(",")).map(OnigRegexTest::unescape).toList();
        assertThat(pieces).containsExactlyElementsOf(expected);
    }

    private static String unescape(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length() && s.charAt(i + 1) == 'u') {
                sb.append((char) Integer.parseInt(s.substring(i + 2, i + 6), 16));
                i += 5;
            } else if (c == '\\' && i + 1 < s.length() && "ntr".indexOf(s.charAt(i + 1)) >= 0) {
                sb.append(switch (s.charAt(i + 1)) { case 'n' -> '\n'; case 't' -> '\t'; default -> '\r'; });
                i++;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
