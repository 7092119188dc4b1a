package dev.qlora4j.model.tokenizer;

/**
 * The character predicates Rust's {@code char} and regex crates use, which differ from
 * {@link Character}'s: {@code Character.isWhitespace} leaves out U+00A0, U+2007 and U+202F and
 * counts U+001C..U+001F, while Rust's {@code char::is_whitespace} is exactly the Unicode
 * White_Space property.
 */
final class UnicodeProps {
    private UnicodeProps() {}

    /** Unicode White_Space: Rust's {@code char::is_whitespace} and the regex crate's {@code \s}. */
    static boolean isWhitespace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F
                || cp == 0x205F || cp == 0x3000;
    }

    /**
     * The regex crate's Unicode {@code \w} (UTS #18): Alphabetic, marks, decimal digits,
     * connector punctuation and the two join controls. Used where tokenizers calls that crate
     * (added-token {@code single_word}, the Whitespace pre-tokenizer); oniguruma's {@code \w}
     * differs and is handled by {@link OnigRegex}.
     */
    static boolean isRegexWordChar(int cp) {
        if (Character.isAlphabetic(cp) || cp == 0x200C || cp == 0x200D) {
            return true;
        }
        int type = Character.getType(cp);
        return type == Character.NON_SPACING_MARK || type == Character.COMBINING_SPACING_MARK
                || type == Character.ENCLOSING_MARK || type == Character.DECIMAL_DIGIT_NUMBER
                || type == Character.CONNECTOR_PUNCTUATION;
    }

    /** Rust's {@code char::is_numeric}: general categories Nd, Nl and No. */
    static boolean isNumeric(int cp) {
        int type = Character.getType(cp);
        return type == Character.DECIMAL_DIGIT_NUMBER || type == Character.LETTER_NUMBER
                || type == Character.OTHER_NUMBER;
    }

    /** ASCII punctuation or a Unicode P* category, as the Punctuation and Bert pre-tokenizers test. */
    static boolean isPunctuation(int cp) {
        if (cp < 0x80) {
            return (cp >= 0x21 && cp <= 0x2F) || (cp >= 0x3A && cp <= 0x40) || (cp >= 0x5B && cp <= 0x60)
                    || (cp >= 0x7B && cp <= 0x7E);
        }
        return switch (Character.getType(cp)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION,
                 Character.FINAL_QUOTE_PUNCTUATION, Character.OTHER_PUNCTUATION -> true;
            default -> false;
        };
    }

    /** unicode-normalization's {@code is_combining_mark}: general category M*. */
    static boolean isMark(int cp) {
        int type = Character.getType(cp);
        return type == Character.NON_SPACING_MARK || type == Character.COMBINING_SPACING_MARK
                || type == Character.ENCLOSING_MARK;
    }
}
