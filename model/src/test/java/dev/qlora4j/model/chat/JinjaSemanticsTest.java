package dev.qlora4j.model.chat;

import dev.qlora4j.tensor.BadInputException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * jinja2 behaviour (with transformers' trim_blocks / lstrip_blocks environment) through the ChatTemplate API;
 * JinjaOracleTest checks the same constructs against real jinja2.
 */
class JinjaSemanticsTest {
    private static final List<Message> MESSAGES = List.of(Message.user("  Hi there!\n"), Message.assistant("Hello."), Message.user("false"));

    static String render(String template) {
        return render(template, Map.of());
    }

    static String render(String template, Map<String, ?> vars) {
        List<Map<String, Object>> maps = new ArrayList<>();
        for (Message m : MESSAGES) maps.add(m.toMap());
        return ChatTemplate.of(template, "t.jinja", Map.of("bos_token", "<s>")).renderMessages(maps, false, vars);
    }

    @Test
    void trimBlocksRemovesTheNewlineAfterABlockTagOnly() {
        assertThat(render("{% if true %}\nA\n{% endif %}\nB\n{{ 'x' }}\nC")).isEqualTo("A\nB\nx\nC");
        // a comment counts as a block
        assertThat(render("a\n{# note #}\nb")).isEqualTo("a\nb");
        // "+%}" keeps the newline
        assertThat(render("{% if true +%}\nA{% endif %}")).isEqualTo("\nA");
    }

    @Test
    void lstripBlocksOnlyStripsIndentationFromTheLineStart() {
        assertThat(render("x\n    {% if true %}\n    A\n    {% endif %}\n  B")).isEqualTo("x\n    A\n  B");
        // text before the tag on the same line keeps its spaces
        assertThat(render("{% for m in messages %}{{ m.role }} {% endfor %}|")).isEqualTo("user assistant user |");
        assertThat(render("→ {% if true %}✓{% endif %}")).isEqualTo("→ ✓");
        // expressions are never lstripped; "{%+" disables lstrip
        assertThat(render("a\n  {{ 'b' }}\n  {%+ if true %}c{% endif %}")).isEqualTo("a\n  b\n  c");
        // the template's first line counts as a line start
        assertThat(render("   {% if true %}x{% endif %}")).isEqualTo("x");
    }

    @Test
    void minusMarkersStripAllAdjacentWhitespace() {
        assertThat(render("a \n\t {{- 'b' -}} \n c")).isEqualTo("abc");
        assertThat(render("a\n{%- if true -%}\n  b  \n{%- endif %}")).isEqualTo("ab");
        assertThat(render("{# c -#}\n\n  x")).isEqualTo("x");
        // a minus inside the expression is arithmetic, not a marker
        assertThat(render("{{ -3 + 1 }} {{ 5 -2 }}")).isEqualTo("-2 3");
    }

    @Test
    void templateNewlines() {
        // \r\n and \r become \n; a single trailing newline is dropped (keep_trailing_newline=False)
        assertThat(render("a\r\n{% if true %}\r\nb\rc{% endif %}\n")).isEqualTo("a\nb\nc");
        assertThat(render("a\n\n")).isEqualTo("a\n");
    }

    @Test
    void rawBlocksAreLiteral() {
        assertThat(render("{% raw %}{{ not rendered }}{% endraw %}")).isEqualTo("{{ not rendered }}");
    }

    @Test
    void pythonStringLiterals() {
        assertThat(render("{{ 'a\\nb\\tc\\\\d\\'e' }}|{{ \"q\\\"r\" }}|{{ '\\u00e9\\x41\\101\\U0001F600' }}|{{ '\\d' }}"))
                .isEqualTo("a\nb\tc\\d'e|q\"r|éAA😀|\\d");
    }

    @Test
    void valuesPrintAsPythonStr() {
        assertThat(render("{{ true }} {{ false }} {{ none }} {{ 1 }} {{ 1.0 }} {{ 1.5e-7 }} {{ 1e20 }} {{ 7 / 2 }} {{ 6 / 2 }} {{ 7 // 2 }}"))
                .isEqualTo("True False None 1 1.0 1.5e-07 1e+20 3.5 3.0 3");
        assertThat(render("{{ [1, 'a', none, true] }} {{ {'k': \"it's\", 'n': 1.25} }} {{ 'n=' ~ 3 ~ true }}"))
                .isEqualTo("[1, 'a', None, True] {'k': \"it's\", 'n': 1.25} n=3True");
    }

    @Test
    void noneIsNotUndefined() {
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("x", null);
        // a JSON null is None: it prints "None", is none and is defined; an unknown name is none of these
        assertThat(render("[{{ x }}|{{ x is none }}|{{ x is defined }}|{{ y }}|{{ y is none }}|{{ y is defined }}]", vars))
                .isEqualTo("[None|True|True||False|False]");
        assertThat(render("{{ tools is none }} {{ documents is none }} {{ messages[0].get('name') is none }} {{ x == none }}", vars))
                .isEqualTo("True True True True");
        assertThat(render("{{ x|default('d') }} {{ y|default('d') }} {{ y|default(false) }} {{ ''|default('e', true) }}", vars))
                .isEqualTo("None d False e");
    }

    @Test
    void truthinessIsPythons() {
        // the string "false" is true in Python
        assertThat(render("{% for m in messages %}{% if m.content %}T{% else %}F{% endif %}{{ 'y' if m.content else 'n' }}{% endfor %}"))
                .isEqualTo("TyTyTy");
        assertThat(render("[{{ '' or 'fallback' }}][{{ 'a' and 'b' }}][{{ 0 or '' }}][{{ [] and 1 }}]")).isEqualTo("[fallback][b][][[]]");
    }

    @Test
    void notBindsLooserThanFiltersTestsAndComparisons() {
        assertThat(render("{{ not messages|length == 1 }} {{ not x is defined }} {{ not 'a' in 'abc' }} {{ not true and false }}"))
                .isEqualTo("True True False False");
    }

    @Test
    void pythonOperators() {
        assertThat(render("{{ 1 == '1' }} {{ 1 == 1.0 }} {{ true == 1 }} {{ [1, 'a'] == [1, 'a'] }} {{ 1 != '1' }}"))
                .isEqualTo("False True True True True");
        assertThat(render("{{ '-' * 3 }} {{ [0] * 2 }} {{ -7 % 3 }} {{ 7.5 % 2 }} {{ '%s=%05.1f|%-3d|' % ('pi', 3.14159, 7) }}"))
                .isEqualTo("--- [0, 0] 2 1.5 pi=003.1|7  |");
        assertThat(render("{{ [1] + [2] }} {{ 'a' + 'b' }} {{ 2 ** 10 }}")).isEqualTo("[1, 2] ab 1024");
    }

    @Test
    void loopsScopeEachIteration() {
        // a set inside the body is gone in the next iteration and after the loop
        assertThat(render("{% set x = 'out' %}{% for m in messages %}[{{ x }}]{% set x = m.role %}{% endfor %}{{ x }}"))
                .isEqualTo("[out][out][out]out");
        assertThat(render("{% set ns = namespace(n=0, last='') %}{% for m in messages %}{% set ns.n = ns.n + 1 %}"
                + "{% set ns.last = m.role %}{% endfor %}{{ ns.n }} {{ ns.last }}")).isEqualTo("3 user");
        assertThat(render("{% if true %}{% set y = 5 %}{% endif %}{{ y }}")).isEqualTo("5");
    }

    @Test
    void loopVariablesFiltersElseAndControls() {
        assertThat(render("{% for m in messages %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.length }}"
                + "{{ loop.first }}{{ loop.last }}{{ loop.cycle('a', 'b') }};{% endfor %}"))
                .isEqualTo("1033TrueFalsea;2123FalseFalseb;3213FalseTruea;");
        assertThat(render("{% for m in messages if m.role == 'user' %}{{ loop.index }}/{{ loop.length }} {% endfor %}"))
                .isEqualTo("1/2 2/2 ");
        assertThat(render("{% for m in [] %}x{% else %}empty{% endfor %}|{% for m in messages %}x{% else %}empty{% endfor %}"))
                .isEqualTo("empty|xxx");
        assertThat(render("{% for i in range(10) %}{% if i == 1 %}{% continue %}{% endif %}{% if i == 4 %}{% break %}{% endif %}{{ i }}{% endfor %}"))
                .isEqualTo("023");
        assertThat(render("{% for k, v in messages[1]|items %}{{ k }}={{ v }};{% endfor %}{% for k in messages[1] %}{{ k }},{% endfor %}"
                + "{% for c in 'ab' %}{{ c }}.{% endfor %}")).isEqualTo("role=assistant;content=Hello.;role,content,a.b.");
    }

    @Test
    void stringMethodsArePythons() {
        assertThat(render("[{{ '  pad \u00a0'.strip() }}][{{ 'xxhixx'.strip('x') }}][{{ 'Hello'.upper() }}][{{ 'a,b,,c'.split(',') }}]"
                + "[{{ ' a  b \\n c '.split() }}][{{ 'a b c'.split(' ', 1) }}][{{ 'they\\'re'.title() }}][{{ 'hELLO'.capitalize() }}]"
                + "[{{ 'user'.startswith(('x', 'u')) }}][{{ 'user'.endswith('er') }}][{{ 'a😀b'.find('b') }}][{{ '-'.join(['a', 'b']) }}]"
                + "[{{ 'abc'[-1] }}][{{ messages[0].content.rstrip() }}]"))
                .isEqualTo("[pad][hi][HELLO][['a', 'b', '', 'c']][['a', 'b', 'c']][['a', 'b c']][They'Re][Hello][True][True][2][a-b][c][  Hi there!]");
    }

    @Test
    void filtersArePythons() {
        assertThat(render("[{{ ' \u3000x\u00a0'|trim }}][{{ '\u0001x\u0001'|trim }}][{{ 'xxaxx'|trim('x') }}][{{ \"they're bill's\"|title }}]"
                + "[{{ 'a😀b'|length }}][{{ [1, 2.5]|sum }}][{{ [1, 2]|sum }}][{{ messages|map(attribute='role')|join(', ') }}]"
                + "[{{ messages|selectattr('role', 'equalto', 'user')|list|length }}][{{ true|string }}]"))
                .isEqualTo("[x][\u0001x\u0001][a][They're Bill's][3][3.5][3][user, assistant, user][2][True]");
    }

    @Test
    void testsArePythons() {
        assertThat(render("{{ 'x' is string }} {{ 'x' is iterable }} {{ 'x' is sequence }} {{ {} is mapping }} {{ {} is iterable }}"
                + " {{ 1 is number }} {{ true is number }} {{ none is number }} {{ 4 is divisibleby 2 }}"))
                .isEqualTo("True True True True True True True False True");
    }

    @Test
    void tojsonIsJsonDumpsWithoutAsciiEscaping() {
        assertThat(render("{{ messages[1]|tojson }}")).isEqualTo("{\"role\": \"assistant\", \"content\": \"Hello.\"}");
        assertThat(render("{{ {'b': [1, 2.5, none], 'a': {'x': true}}|tojson(indent=2, sort_keys=true) }}"))
                .isEqualTo("{\n  \"a\": {\n    \"x\": true\n  },\n  \"b\": [\n    1,\n    2.5,\n    null\n  ]\n}");
        assertThat(render("{{ {'a': [1, 2]}|tojson(separators=(',', ':')) }} {{ 'é\"<>&'|tojson }} {{ 'é'|tojson(ensure_ascii=true) }}"))
                .isEqualTo("{\"a\":[1,2]} \"é\\\"<>&\" \"\\u00e9\"");
    }

    @Test
    void messageTextIsNeverRenderedAgain() {
        ChatTemplate t = ChatTemplate.of("{% for m in messages %}{{ m.content }}{% endfor %}", "t", Map.of());
        assertThat(t.render(List.of(Message.user("{{ 7 * 6 }} {% if true %}x{% endif %}")), false))
                .isEqualTo("{{ 7 * 6 }} {% if true %}x{% endif %}");
    }

    @Test
    void globals() {
        assertThat(render("{{ strftime_now is defined }} {{ raise_exception is defined }} {{ strftime_now('%Y')|length }}"))
                .isEqualTo("True True 4");
        assertThat(render("{% generation %}{{ messages[1].content }}{% endgeneration %}")).isEqualTo("Hello.");
        assertThat(render("{{ {'a': {'b': 1}} }}|{{ {'a': {'b': {'c': 2}}}|tojson }}")).isEqualTo("{'a': {'b': 1}}|{\"a\": {\"b\": {\"c\": 2}}}");
    }

    @Test
    void errorsPythonWouldRaise() {
        assertThatThrownBy(() -> render("{{ 'n' + 1 }}")).isInstanceOf(BadInputException.class)
                .hasMessage("chat template failed: can only concatenate str (not \"int\") to str at line 1 (t.jinja)");
        assertThatThrownBy(() -> render("{{ nothing.attr }}")).hasMessage("chat template failed: 'nothing' is undefined at line 1 (t.jinja)");
        assertThatThrownBy(() -> render("{% for x in 3 %}{% endfor %}"))
                .hasMessageStartingWith("chat template failed: 'int' object is not iterable");
        assertThatThrownBy(() -> render("{% for a, b in [[1, 2, 3]] %}{% endfor %}"))
                .hasMessageStartingWith("chat template failed: too many values to unpack (expected 2)");
        assertThatThrownBy(() -> render("\n\n{{ raise_exception('custom: ' ~ messages|length) }}"))
                .hasMessage("chat template failed: custom: 3 (t.jinja)");
        assertThatThrownBy(() -> render("{{ 'x' | no_such_filter }}"))
                .hasMessage("chat template syntax error: no filter named 'no_such_filter' at line 1 (t.jinja)");
        assertThatThrownBy(() -> render("{{ 1 is no_such_test }}"))
                .hasMessage("chat template syntax error: no test named 'no_such_test' at line 1 (t.jinja)");
        assertThat(render("{% for x in xs recursive %}[{{ x.n }}{{ loop.depth }}{% if x.c %}{{ loop(x.c) }}{% endif %}]{% endfor %}",
                Map.of("xs", List.of(Map.of("n", "a", "c", List.of(Map.of("n", "b"), Map.of("n", "c", "c", List.of(Map.of("n", "d"))))),
                        Map.of("n", "e"))))).as("recursive loops, as jinja2 renders them").isEqualTo("[a1[b2][c2[d3]]][e1]");
    }

    @Test
    void unsupportedConstructsAndTheSandboxAreOneLineErrors() {
        assertThatThrownBy(() -> render("a\n{% include 'other.jinja' %}"))
                .hasMessage("chat template syntax error: 'include' is not supported in chat templates at line 2 (t.jinja)");
        assertThatThrownBy(() -> render("{% frobnicate %}")).hasMessage("chat template syntax error: unknown tag 'frobnicate' at line 1 (t.jinja)");
        assertThatThrownBy(() -> render("{% if true %}x")).hasMessage("chat template syntax error: unexpected end of template, expected "
                + "'elif' or 'else' or 'endif' at line 1 (t.jinja)");
        assertThatThrownBy(() -> render("{{ messages.append(1) }}"))
                .hasMessage("chat template failed: access to attribute 'append' of 'list' object is unsafe. at line 1 (t.jinja)");
        assertThatThrownBy(() -> render("{{ messages[0].update({}) }}"))
                .hasMessage("chat template failed: access to attribute 'update' of 'dict' object is unsafe. at line 1 (t.jinja)");
        assertThatThrownBy(() -> render("{{ range(100001)|length }}"))
                .hasMessage("chat template failed: Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000). at line 1 (t.jinja)");
        assertThatThrownBy(() -> render("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}"))
                .hasMessage("chat template failed: the template nests calls more than 500 deep at line 1 (t.jinja)");
        assertThatThrownBy(() -> render("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"))
                .hasMessage("chat template failed: the template loops more than 10000000 times at line 1 (t.jinja)");
        assertThat(render("[{{ messages.__class__ }}]")).isEqualTo("[]");
        assertThatThrownBy(() -> render("{{ messages.__class__.__name__ }}"))
                .hasMessage("chat template failed: access to attribute '__class__' of 'list' object is unsafe. at line 1 (t.jinja)");
    }
}
