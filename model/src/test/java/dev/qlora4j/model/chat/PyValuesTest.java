package dev.qlora4j.model.chat;

import org.junit.jupiter.api.Test;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Python's repr(float), str(), json.dumps and str methods, value by value. */
class PyValuesTest {
    @Test
    void floatReprSwitchesToExponentBelow1e4AndFrom1e16() {
        assertThat(PyValues.floatRepr(1.0)).isEqualTo("1.0");
        assertThat(PyValues.floatRepr(0.1)).isEqualTo("0.1");
        assertThat(PyValues.floatRepr(0.0001)).isEqualTo("0.0001");
        assertThat(PyValues.floatRepr(0.00001)).isEqualTo("1e-05");
        assertThat(PyValues.floatRepr(1.5e-7)).isEqualTo("1.5e-07");
        assertThat(PyValues.floatRepr(123456789.125)).isEqualTo("123456789.125");
        assertThat(PyValues.floatRepr(1234567890123456.0)).isEqualTo("1234567890123456.0");
        assertThat(PyValues.floatRepr(1e16)).isEqualTo("1e+16");
        assertThat(PyValues.floatRepr(1.2345678901234567e300)).isEqualTo("1.2345678901234567e+300");
        assertThat(PyValues.floatRepr(0.1 + 0.2)).isEqualTo("0.30000000000000004");
        assertThat(PyValues.floatRepr(-0.0)).isEqualTo("-0.0");
        assertThat(PyValues.floatRepr(-2.5)).isEqualTo("-2.5");
        assertThat(PyValues.floatRepr(Double.NaN)).isEqualTo("nan");
        assertThat(PyValues.floatRepr(Double.NEGATIVE_INFINITY)).isEqualTo("-inf");
    }

    @Test
    void reprOfContainersAndStrings() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a", Arrays.asList(1, 2.0, null, true, PyNone.NONE));
        m.put("q", "it's \"x\"\n\u0001é");
        assertThat(PyValues.str(m)).isEqualTo("{'a': [1, 2.0, None, True, None], 'q': 'it\\'s \"x\"\\n\\x01é'}");
        assertThat(PyValues.repr("it's")).isEqualTo("\"it's\"");
        assertThat(PyValues.str(null)).isEmpty();
        assertThat(PyValues.str(PyNone.NONE)).isEqualTo("None");
        assertThat(PyValues.str(new JinjaValues.Tuple(List.of("k", 1L)))).isEqualTo("('k', 1)");
        assertThat(PyValues.str(new JinjaValues.Tuple(List.of("k")))).isEqualTo("('k',)");
    }

    @Test
    void jsonDumps() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("z", List.of());
        m.put("a", Map.of());
        m.put("s", "\"\\\b\f\n\r\t\u001f\u007f😀");
        m.put("n", Arrays.asList(1, 1.0, 1e16, 1e-5, Double.NaN, null));
        assertThat(PyJson.dumps(m)).isEqualTo("{\"z\": [], \"a\": {}, \"s\": \"\\\"\\\\\\b\\f\\n\\r\\t\\u001f\u007f😀\", "
                + "\"n\": [1, 1.0, 1e+16, 1e-05, NaN, null]}");
        assertThat(new PyJson("\t", null, true, false).write(m)).isEqualTo("{\n\t\"a\": {},\n\t\"n\": [\n\t\t1,\n\t\t1.0,\n\t\t1e+16,"
                + "\n\t\t1e-05,\n\t\tNaN,\n\t\tnull\n\t],\n\t\"s\": \"\\\"\\\\\\b\\f\\n\\r\\t\\u001f\u007f😀\",\n\t\"z\": []\n}");
        assertThat(new PyJson(null, null, false, true).write("é😀")).isEqualTo("\"\\u00e9\\ud83d\\ude00\"");
    }

    @Test
    void whitespaceIsWhatStrIsspaceAccepts() {
        for (int cp : new int[]{' ', '\t', '\n', 0x0b, 0x0c, '\r', 0x1c, 0x1f, 0x85, 0xa0, 0x1680, 0x2000, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000})
            assertThat(PyStrings.isSpace(cp)).as("U+%04X", cp).isTrue();
        for (int cp : new int[]{0, 0x01, 0x08, 0x0e, 0x7f, 0x200b, 0xfeff, 'a'})
            assertThat(PyStrings.isSpace(cp)).as("U+%04X", cp).isFalse();
        assertThat(PyStrings.strip("\u00a0\u0001 x \u3000", null)).isEqualTo("\u0001 x");
    }

    @Test
    void stringMethods() {
        assertThat(PyStrings.split("  a \t b\n", null, -1)).containsExactly("a", "b");
        assertThat(PyStrings.split("a b  c ", null, 1)).containsExactly("a", "b  c ");
        assertThat(PyStrings.split(",a,,b,", ",", -1)).containsExactly("", "a", "", "b", "");
        assertThat(PyStrings.splitlines("a\nb\r\nc\rd\n")).containsExactly("a", "b", "c", "d");
        assertThat(PyStrings.replace("aaa", "a", "b", 2)).isEqualTo("bba");
        assertThat(PyStrings.replace("ab", "", "-", -1)).isEqualTo("-a-b-");
        assertThat(PyStrings.count("abab", "ab")).isEqualTo(2);
        assertThat(PyStrings.title("hello wORLD 3rd")).isEqualTo("Hello World 3Rd");
        assertThat(PyStrings.titleWords("hello wORLD-x (y)")).isEqualTo("Hello World-X (Y)");
        assertThat(PyStrings.capitalize("ǆx")).isEqualTo("ǅx");
    }

    @Test
    void percentFormat() {
        assertThat(PercentFormat.format("%s|%r|%d|%5.2f|%-4s|%04d|%x|%%", List.of("a", "a", 7, 3.14159, "b", -5, 255)))
                .isEqualTo("a|'a'|7| 3.14|b   |-005|ff|%");
        assertThat(PercentFormat.format("%(name)s!", Map.of("name", "x"))).isEqualTo("x!");
    }

    @Test
    void strftimeInTheCLocale() {
        ZonedDateTime t = ZonedDateTime.of(2024, 7, 6, 15, 4, 5, 0, ZoneOffset.UTC);
        assertThat(Strftime.format("%d %b %Y|%A %B %m/%y|%H:%M:%S %I%p|%j|%%", t))
                .isEqualTo("06 Jul 2024|Saturday July 07/24|15:04:05 03PM|188|%");
    }
}
