package dev.qlora4j.model.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The differential test: every case is rendered by real jinja2, set up as transformers sets it up
 * (render_jinja2.py, one Python process for all cases), and by our engine; the strings must be
 * equal, or both must fail (with the same message for the template's raise_exception). Cases: the
 * probes below (one construct each), every template under chat_templates/ and the fixture models'
 * own templates, each with many conversations, fixed and seeded-random. Skips, saying so, only where python3 has no jinja2.
 */
class JinjaOracleTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path TEMPLATES = Path.of("src", "test", "resources", "chat_templates");

    /** @param continueFinal rendered as apply_chat_template(continue_final_message=True) renders it */
    record Case(String name, String template, Map<String, Object> variables, boolean continueFinal) {
        Case(String name, String template, Map<String, Object> variables) {
            this(name, template, variables, false);
        }
    }

    private static final List<Case> CASES = new ArrayList<>();
    private static List<JsonNode> oracle;

    static final List<String> PROBES = List.of(
            "a\n  {# c #}\nb", "a  {# c #}\nb", "{% if true %}\nA\n{% endif %}\nB\n{{ 'x' }}\nC", "  {%+ if true %}x{% endif +%}\ny",
            "x\n    {% if true %}\n    A\n    {% endif %}\n  B", "a \n\t {{- 'b' -}} \n c", "a\n{%- if true -%}\n  b  \n{%- endif %}",
            "{# c -#}\n\n  x", "{{ -3 + 1 }} {{ 5 -2 }} {{ -2|abs }} {{ - 2 ** 2 }} {{ 2 ** 3 ** 2 }}", "{% raw %}\n  {{ x }}{% endraw %}\nz",
            "{% set count = 0 %}{% for i in range(3) %}{% set count = count + 1 %}{{count}}{% endfor %}{{count}}",
            "{% set ns = namespace(n=0, last=none) %}{% for i in range(4) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }} {{ ns.last }}",
            "{% set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}{{ ns.last_query_index }}",
            "{{ 'a' ~ none }}|{{ none }}|{{ undefinedvar }}|{{ [1,'b',none,true,1.0] }}|{{ {'a':(1,2)} }}|{{ (1,) }}",
            "{{ {'a':1}.items() }}|{{ {'a':1}.items()|list }}|{{ {'a': {'b': 1}} }}", "{{ none.foo }}|{{ x.foo }}|",
            "{{ 'abc'[5] }}|{{ [1][3] }}|{{ 'a😀bc'[1:3] }}|{{ [1,2,3,4][::-1] }}|{{ [1,2,3,4][1::2] }}|{{ 'abc'[-2:] }}",
            "{{ 1 == true }}{{ (1,2) == [1,2] }}{{ 1 == 1.0 }}{{ 'a' < 'b' }}{{ [1,2] < [1,3] }}{{ 1 < 2 < 3 }}",
            "{{ '%s-%d-%05.2f' % ('a', 3, 2.5) }}|{{ '%(x)s' % {'x': 1} }}|{{ '{} {name}'.format(1, name='n') }}",
            "{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % -3 }} {{ 7 / 2 }} {{ 2 ** 10 }} {{ 2.5 * 2 }} {{ 0.1 + 0.2 }} {{ 1e20 }} {{ 1.5e-7 }} {{ 3 / 1 }}",
            "{{ x|tojson }}|{{ x|tojson(indent=2) }}|{{ [1, 'é', none, true, 2.5]|tojson }}|{{ 'a\"<>&\\n'|tojson }}|{{ {'b': 1, 'a': 2}|tojson(sort_keys=true) }}",
            "{{ {'a': [1, 2]}|tojson(separators=(',', ':')) }}|{{ {'a': 1}|tojson(indent='\\t') }}",
            "{% macro m(a, b=2) %}{{a}}-{{b}}-{{ varargs }}-{{ kwargs }}{% endmacro %}{{ m(1) }}|{{ m(1,3,4) }}|{{ m(b=5, a=0) }}",
            "{% macro w() %}<{{ caller() }}>{% endmacro %}{% call w() %}inner{% endcall %}",
            "{{ 'a\\nb\\u00e9\\x41\\t' }}", "{% for a in [1,2] if a > 1 %}{{ loop.index }}{{ loop.length }}{% else %}none{% endfor %}",
            "{% for a in [] %}x{% else %}empty{% endfor %}",
            "{% for a in 'xyz' %}{{ loop.index0 }}{{ loop.revindex }}{{ loop.first }}{{ loop.last }}{{ loop.previtem }}{{ loop.nextitem }}{{ loop.cycle('o','e') }};{% endfor %}",
            "{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }},{% endfor %}{% for k in {'a': 1} %}{{ k }}{% endfor %}",
            "{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i > 4 %}{% break %}{% endif %}{{ i }}{% endfor %}",
            "{{ range(3)|list }} {{ range(1, 10, 3)|list }} {{ range(5, 0, -2)|list }}",
            "{{ '  pad \u00a0'.strip() }}|{{ 'xxhixx'.strip('x') }}|{{ 'a,b,,c'.split(',') }}|{{ ' a  b \\n c '.split() }}|{{ 'a b c'.split(' ', 1) }}|{{ 'a b c'.rsplit(' ', 1) }}",
            "{{ \"they're bill's\"|title }}|{{ \"they're\".title() }}|{{ 'hELLO'.capitalize() }}|{{ 'hello'|capitalize }}|{{ 'ab'|upper }}{{ 'AB'|lower }}",
            "{{ 'user'.startswith(('x', 'u')) }}{{ 'user'.endswith('er') }}{{ 'a😀b'.find('b') }}{{ '-'.join(['a', 'b']) }}{{ 'aXbXc'.replace('X', '-', 1) }}",
            "{{ ' \u3000x\u00a0'|trim }}|{{ 'xxaxx'|trim('x') }}|{{ 'a😀b'|length }}|{{ [1, 2.5]|sum }}|{{ [1, 2]|sum }}|{{ true|string }}|{{ [3,1,2]|sort }}|{{ ['b','A','a']|sort }}",
            "{{ messages|map(attribute='role')|join(', ') }}|{{ messages|selectattr('role', 'equalto', 'user')|list|length }}|{{ messages|rejectattr('role', 'eq', 'user')|map(attribute='content')|list }}",
            "{{ [1,2,3,4]|select('odd')|list }}|{{ [1,none,2]|reject('none')|list }}|{{ ['a','b']|map('upper')|list }}|{{ [1,2,2,3,1]|unique|list }}",
            "{{ [1,2,3]|first }}{{ [1,2,3]|last }}{{ []|first }}|{{ [4,2,8]|max }}{{ [4,2,8]|min }}|{{ 'abc'|reverse }}{{ [1,2]|reverse|list }}",
            "{{ 3.14159|round(2) }} {{ 2.5|round }} {{ 2.675|round(2) }} {{ 3.7|round(0, 'floor') }} {{ '42'|int + 1 }} {{ 'x'|int }} {{ '2.5'|float }} {{ 3|float }}",
            "{{ 'a\\nb\\n\\nc'|indent(2) }}|{{ 'a\\nb'|indent(2, true) }}|{{ 'a\\n\\nb'|indent(4, blank=true) }}",
            "{{ x is defined }}{{ y is defined }}{{ y is undefined }}{{ none is none }}{{ 'x' is string }}{{ 1 is number }}{{ true is boolean }}{{ 1 is integer }}{{ 1.0 is float }}",
            "{{ {} is mapping }}{{ [] is sequence }}{{ 'a' is iterable }}{{ 4 is divisibleby 2 }}{{ 3 is odd }}{{ 1 is in [1] }}{{ x is not none }}",
            "{{ y | default('dflt') }} {{ '' | default('e', true) }} {{ none | default('n') }} {{ y|d('d') }} {{ y|length }} {{ y|string }}|",
            "{{ 'x' if false }}|{{ 'a' if true else 'b' }}|{{ 1 and 'b' }}|{{ 0 or none }}|{{ not [] }}|{{ 'b' in 'abc' }}{{ 'z' not in ['a'] }}{{ 'a' in {'a': 1} }}",
            "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set t = 1, 2 %}{{ t }}{% set s %}block {{ a }}{% endset %}[{{ s }}]{% set u | upper %}up{% endset %}{{ u }}",
            "{% filter upper %}shout {{ 'it' }}{% endfilter %}|{% with q = 5 %}{{ q }}{% endwith %}{{ q }}",
            "{{ messages[0]['content'] }}|{{ messages[0].get('role') }}|{{ messages[0].get('nope', 'dflt') }}|{{ messages[0].keys()|list }}|{{ messages|length }}",
            "{{ x.b.c }}", "{{ [1,2].append(3) }}", "{{ range(100001)|length }}", "{{ 'n' + 1 }}", "{{ 1 + 'n' }}", "{{ raise_exception('custom: ' ~ 3) }}",
            "{% for a, b in [[1, 2, 3]] %}{% endfor %}", "{% for x in 3 %}{% endfor %}", "{{ messages[5].content }}", "{{ 1 / 0 }}",
            "{{ strftime_now is defined }} {{ raise_exception is defined }} {{ strftime_now('%Y')|length }}",
            "{% generation %}{{ messages[1].content }}{% endgeneration %}",
            "{{ messages[0].content|e }}|{{ '<b>'|escape }}|{{ '<b>'|safe }}|{{ [1,2,3,4,5]|batch(2)|list }}|{{ 'a b  c'|wordcount }}",
            "{{ {'b': 2, 'a': 1}|dictsort }}|{{ {'b': 2, 'a': 1}|items|list }}|{{ messages|groupby('role')|map(attribute=0)|list }}",
            "{{ 'abcdefghij klmnop qrstuv wxyz'|truncate(12) }}|{{ 'abc'|center(9) }}|{{ 'Hello %s'|format('x') }}",
            "{%- for m in messages -%}\n  {{- m.role }}: {{ m.content | trim }}\n{% endfor -%}\n",
            "{{ messages[-1].content }}{{ messages[1:]|length }}{{ (messages|last).role }}",
            "[{{ messages.__class__ }}]", "{{ messages.__class__.__name__ }}", "{{ messages[0].update({}) }}");

    @BeforeAll
    static void renderWithJinja2() throws Exception {
        for (int k = 0; k < PROBES.size(); k++) CASES.add(new Case("probe " + k + ": " + PROBES.get(k).replace("\n", "\\n"), PROBES.get(k), probeVariables()));
        JsonNode hubTokens = JSON.readTree(TEMPLATES.resolve("hub").resolve("special_tokens.json").toFile());
        try (Stream<Path> files = Files.walk(TEMPLATES)) {
            for (Path t : files.filter(p -> p.toString().endsWith(".jinja")).sorted().toList()) {
                String source = Files.readString(t, StandardCharsets.UTF_8);
                List<Map<String, Object>> convs = Conversations.all(new Random(t.getFileName().toString().hashCode()));
                // published templates get their model's special tokens (hub/special_tokens.json), the others generic ones
                // (training/: those templates with {% generation %} blocks added, under the same names)
                String folder = t.getParent().getFileName().toString();
                JsonNode own = folder.equals("hub") || folder.equals("training") ? hubTokens.get(t.getFileName().toString()) : null;
                Map<String, Object> tokens = own == null ? Conversations.specialTokens() : JSON.convertValue(own, Map.class);
                for (int c = 0; c < convs.size(); c++) {
                    for (boolean prompt : new boolean[]{false, true}) {
                        Map<String, Object> vars = new LinkedHashMap<>(tokens);
                        vars.putAll(convs.get(c));
                        vars.put("add_generation_prompt", prompt);
                        CASES.add(new Case(TEMPLATES.relativize(t) + " conversation " + c + (prompt ? " + generation prompt" : ""), source, vars));
                    }
                    // a prefill: the final message continued (transformers' continue_final_message), where it is the assistant's
                    List<?> messages = (List<?>) convs.get(c).get("messages");
                    if (folder.equals("hub") && ((Map<?, ?>) messages.getLast()).get("role").equals("assistant")) {
                        Map<String, Object> vars = new LinkedHashMap<>(tokens);
                        vars.putAll(convs.get(c));
                        CASES.add(new Case(TEMPLATES.relativize(t) + " conversation " + c + " continued", source, vars, true));
                    }
                }
            }
        }
        // the fixture models' own templates, with their tokenizer_config.json's special tokens
        for (String model : List.of("llama", "gemma2")) {
            ChatTemplate t = ChatTemplate.load(Path.of("..", "fixtures", "hf", model, "model"));
            List<Map<String, Object>> convs = Conversations.all(new Random(model.hashCode()));
            for (int c = 0; c < convs.size(); c++)
                for (boolean prompt : new boolean[]{false, true}) {
                    Map<String, Object> vars = new LinkedHashMap<>(t.specialTokens());
                    vars.putAll(convs.get(c));
                    vars.put("add_generation_prompt", prompt);
                    CASES.add(new Case("fixture " + model + " conversation " + c + (prompt ? " + generation prompt" : ""), t.source(), vars));
                }
        }
        assumeTrue(jinja2Available(), "python3 with jinja2 is not installed here (Debian: python3-jinja2); the oracle test needs it");
        ArrayNode input = JSON.createArrayNode();
        for (Case c : CASES) {
            ObjectNode n = input.addObject();
            n.put("template", c.template());
            n.set("variables", JSON.valueToTree(c.variables()));
            if (c.continueFinal()) n.put("mode", "apply_chat_template").put("continue_final_message", true);
            else n.put("return_assistant_tokens_mask", true);
        }
        Process p = new ProcessBuilder("python3", TEMPLATES.resolve("render_jinja2.py").toString()).redirectErrorStream(false).start();
        try (var os = p.getOutputStream()) {
            os.write(JSON.writeValueAsBytes(input));
        }
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(err).isZero();
        oracle = new ArrayList<>();
        JSON.readTree(out).forEach(oracle::add);
        assertThat(oracle).hasSameSizeAs(CASES);
    }

    private static Map<String, Object> probeVariables() {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("x", Map.of("b", 1));
        v.put("messages", List.of(Map.of("role", "user", "content", "  Hi <there> & 'you'!\n"), Map.of("role", "assistant", "content", "Hello."),
                Map.of("role", "user", "content", "false")));
        return v;
    }

    private static boolean jinja2Available() {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import jinja2").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    @TestFactory
    Stream<DynamicTest> everyCaseRendersAsJinja2RendersIt() {
        List<DynamicTest> tests = new ArrayList<>();
        for (int k = 0; k < CASES.size(); k++) {
            Case c = CASES.get(k);
            JsonNode want = oracle.get(k);
            tests.add(DynamicTest.dynamicTest(c.name(), () -> {
                String got, error = null;
                List<int[]> spans = null;
                try {
                    if (c.continueFinal()) {
                        Map<String, Object> extra = new LinkedHashMap<>(c.variables());
                        @SuppressWarnings("unchecked")
                        List<Map<String, Object>> messages = (List<Map<String, Object>>) extra.remove("messages");
                        got = ChatTemplate.of(c.template(), "t", Map.of()).renderContinuing(messages, extra);
                    } else {
                        JinjaTemplate.Rendered r = JinjaTemplate.parse(c.template(), "t").render(c.variables());
                        got = r.text();
                        spans = r.generationSpans();
                    }
                } catch (JinjaBuiltins.Raised e) {
                    got = null;
                    error = "TemplateError: " + e.getMessage();
                } catch (JinjaException | dev.qlora4j.tensor.BadInputException e) {
                    got = null;
                    error = e.getMessage();
                }
                if (want.has("rendered")) {
                    assertThat(error).as("jinja2 renders this; we failed").isNull();
                    assertThat(got).isEqualTo(want.get("rendered").asText());
                    // transformers' assistant masks (not with continue_final_message, in transformers either)
                    if (!c.continueFinal()) {
                        // transformers' assistant masks: where the {% generation %} blocks wrote
                        List<List<Integer>> wantSpans = new ArrayList<>();
                        want.get("generation_indices").forEach(g -> wantSpans.add(List.of(g.get(0).asInt(), g.get(1).asInt())));
                        // (Python counts code points, Java strings UTF-16 units)
                        String text = got;
                        assertThat(spans.stream().map(g -> List.of(text.codePointCount(0, g[0]), text.codePointCount(0, g[1]))).toList())
                                .as("generation spans").isEqualTo(wantSpans);
                    }
                } else {
                    String jinjaError = want.get("error").asText();
                    assertThat(got).as("jinja2 fails with " + jinjaError + "; we rendered").isNull();
                    // (ChatTemplate, which continues a final message, words the template's raise_exception as its one-line error)
                    if (jinjaError.startsWith("TemplateError: "))
                        assertThat(error).isEqualTo(c.continueFinal()
                                ? "chat template failed: " + jinjaError.substring("TemplateError: ".length()) + " (t)" : jinjaError);
                }
            }));
        }
        return tests.stream();
    }

    /** The fixture models whose tokenizers the rendered conversations go through. */
    private static final List<String> TOKENIZERS = List.of("llama", "gemma2", "qwen2");

    /**
     * Equal token ids: every conversation jinja2 rendered, tokenized as apply_chat_template(tokenize=True) does
     * (no special tokens added) by our tokenizer and by Hugging Face tokenizers' Rust core (npm tokenizers, through
     * node: tokenize_hf.js), for each fixture model's tokenizer.json. Skips, saying so, where node or the npm
     * package is missing (.ci/run installs it into .ci/npm).
     */
    @TestFactory
    Stream<DynamicTest> everyRenderingTokenizesAsHfTokenizersDoes() throws Exception {
        Path modules = Path.of(System.getenv().getOrDefault("QLORA4J_NODE_MODULES", Path.of("..", ".ci", "npm", "node_modules").toString()));
        assumeTrue(Files.isDirectory(modules.resolve("tokenizers")), "npm tokenizers is not installed in " + modules
                + " (npm install --prefix .ci/npm tokenizers@0.23.2); the token-id oracle needs it");
        List<Integer> rendered = new ArrayList<>();
        ArrayNode texts = JSON.createArrayNode();
        for (int k = 0; k < CASES.size(); k++)
            if (oracle.get(k).has("rendered")) {
                rendered.add(k);
                texts.add(oracle.get(k).get("rendered").asText());
            }
        ObjectNode request = JSON.createObjectNode();
        ObjectNode files = request.putObject("tokenizers");
        Map<String, dev.qlora4j.model.tokenizer.Tokenizer> ours = new LinkedHashMap<>();
        for (String name : TOKENIZERS) {
            Path dir = Path.of("..", "fixtures", "hf", name, "model");
            files.put(name, dir.resolve("tokenizer.json").toAbsolutePath().toString());
            ours.put(name, dev.qlora4j.model.tokenizer.Tokenizer.load(dir));
        }
        request.set("texts", texts);
        ProcessBuilder pb = new ProcessBuilder("node", TEMPLATES.resolve("tokenize_hf.js").toString());
        pb.environment().put("NODE_PATH", modules.toAbsolutePath().toString());
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            assumeTrue(false, "node is not installed here; the token-id oracle needs it");
            throw e;
        }
        try (var os = p.getOutputStream()) {
            os.write(JSON.writeValueAsBytes(request));
        }
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(err).isZero();
        JsonNode hf = JSON.readTree(out);
        List<DynamicTest> tests = new ArrayList<>();
        for (int n = 0; n < rendered.size(); n++) {
            int index = n;
            String text = texts.get(n).asText();
            tests.add(DynamicTest.dynamicTest(CASES.get(rendered.get(n)).name(), () -> {
                for (String name : TOKENIZERS) {
                    List<Integer> want = new ArrayList<>();
                    hf.get(name).get(index).forEach(id -> want.add(id.asInt()));
                    List<Integer> got = java.util.Arrays.stream(ours.get(name).encode(text, false).ids()).boxed().toList();
                    assertThat(got).as(name + " tokenizer").isEqualTo(want);
                }
            }));
        }
        assertThat(tests).as("conversations jinja2 rendered").hasSizeGreaterThan(800);
        return tests.stream();
    }

    /**
     * hub/samples.json: conversations written for each published template with what jinja2 rendered for them
     * (make_samples.py, through apply_chat_template's defaults). Checked without Python, with the oracle's pinned
     * strftime_now clock where a sample has one and {@link ChatTemplate#renderContinuing} for continue_final_message.
     */
    @TestFactory
    Stream<DynamicTest> publishedSamplesRenderAsJinja2Rendered() throws IOException {
        JsonNode samples = JSON.readTree(TEMPLATES.resolve("hub").resolve("samples.json").toFile());
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode sample : samples) {
            JsonNode c = sample.get("case");
            String file = sample.get("template_file").asText();
            tests.add(DynamicTest.dynamicTest(file + ": " + sample.get("name").asText(), () -> {
                String source = Files.readString(TEMPLATES.resolve("hub").resolve(file), StandardCharsets.UTF_8);
                Map<String, Object> vars = new LinkedHashMap<>();
                vars.put("tools", null);
                vars.put("documents", null);
                vars.put("add_generation_prompt", false);
                vars.putAll(JSON.convertValue(c.get("variables"), Map.class));
                // the oracle's pinned clock (a naive local time, as Python's datetime.now() gives)
                java.time.ZonedDateTime now = c.has("now")
                        ? java.time.LocalDateTime.parse(c.get("now").asText()).atZone(java.time.ZoneId.systemDefault()) : null;
                JsonNode want = sample.get("result");
                String got = null, error = null;
                try {
                    if (c.path("continue_final_message").asBoolean()) {
                        Map<String, Object> extra = new LinkedHashMap<>(vars);
                        @SuppressWarnings("unchecked")
                        List<Map<String, Object>> messages = (List<Map<String, Object>>) extra.remove("messages");
                        got = ChatTemplate.of(source, file, Map.of()).renderContinuing(messages, extra);
                    } else {
                        got = JinjaTemplate.parse(source, file).render(vars, now).text();
                    }
                } catch (JinjaBuiltins.Raised e) {
                    error = "TemplateError: " + e.getMessage();
                } catch (JinjaException | dev.qlora4j.tensor.BadInputException e) {
                    error = e.getMessage();
                }
                if (want.has("rendered")) {
                    assertThat(error).as("jinja2 renders this; we failed").isNull();
                    assertThat(got).isEqualTo(want.get("rendered").asText());
                } else {
                    assertThat(error).as("jinja2 failed with " + want.get("error").asText()).isNotNull();
                    if (want.get("error").asText().startsWith("TemplateError: ")) assertThat(error).isEqualTo(want.get("error").asText());
                }
            }));
        }
        assertThat(tests).hasSizeGreaterThan(50);
        return tests.stream();
    }
}
