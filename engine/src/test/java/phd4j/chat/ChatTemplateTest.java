package phd4j.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * The Jinja2 semantics chat templates lean on, one snippet each; every expected string is what
 * Jinja2 3.1.6 rendered with scripts/jinja2/render.py (the variable b = None, nothing else).
 */
class ChatTemplateTest {
    static Stream<Arguments> snippets() {
        return Stream.of(
            Arguments.of("scope", "{% set x = 1 %}{% for i in [1,2] %}{% set x = x + i %}{{ x }},{% endfor %}{{ x }}",
                    "2,3,1"),
            Arguments.of("namespace", "{% set ns = namespace(n=0) %}{% for i in range(3) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}",
                    "3"),
            Arguments.of("loop", "{% for c in 'abc' %}{{ loop.index }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.cycle('x','y') }} {% endfor %}",
                    "12TrueFalsex 21FalseFalsey 30FalseTruex "),
            Arguments.of("generator", "{{ 'T' if [1]|select('gt', 5) else 'F' }}{{ 'T' if [1]|select('gt', 5)|list else 'F' }}",
                    "TF"),
            Arguments.of("slice", "{{ [1,2,3,4][1:] }}{{ 'hello'[::-1] }}{{ [1,2,3][-1] }}{{ 'abc'[5:] }}",
                    "[2, 3, 4]olleh3"),
            Arguments.of("macro", "{% macro m(a, b='B') %}[{{ a }}{{ b }}]{% endmacro %}{{ m(1) }}{{ m(2, b=3) }}",
                    "[1B][23]"),
            Arguments.of("filters", "{{ '  a b  '|trim }}|{{ [3,1,2]|sort|join(',') }}|{{ 'x'|upper }}|{{ none|default('d') }}|{{ undef|default('d') }}|{{ [1,2]|length }}|{{ {'b':1,'a':2}|dictsort }}|{{ 'a\nb'|indent(2, true) }}",
                    "a b|1,2,3|X|None|d|2|[('a', 2), ('b', 1)]|  a\n  b"),
            Arguments.of("tojson", "{{ {'a': [1, 2.5, none, true], 'é': 'x\"y'}|tojson }}|{{ [1]|tojson(indent=2) }}",
                    "{\"a\": [1, 2.5, null, true], \"é\": \"x\\\"y\"}|[\n  1\n]"),
            Arguments.of("strings", "{{ 'a,b,,c'.split(',') }}{{ ' a  b '.split() }}{{ 'Hello World'.lower().startswith('hello') }}{{ 'x'.join(['1','2']) }}{{ '{} {name}'.format(1, name='n') }}",
                    "['a', 'b', '', 'c']['a', 'b']True1x21 n"),
            Arguments.of("numbers", "{{ 7 // 2 }} {{ 7 / 2 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 1.0 }} {{ 1e20 }} {{ 0.1 + 0.2 }} {{ 3 * 'ab' }}",
                    "3 3.5 2 1024 1.0 1e+20 0.30000000000000004 ababab"),
            Arguments.of("markup", "{{ ('<b>'|safe + '<i>') }}{{ '<x>' + ('<y>'|safe) }}{{ '<&>'|e }}",
                    "<b>&lt;i&gt;&lt;x&gt;<y>&lt;&amp;&gt;"),
            Arguments.of("ifelse", "{% if a is defined %}A{% elif b is none %}B{% else %}C{% endif %}{{ 'y' if false }}|{{ x is not defined and 1 in [1] and 'a' not in 'bc' }}",
                    "B|True"),
            Arguments.of("whitespace", "a\n  {% if true %}\n  b\n  {%- endif %}\n{{- ' c ' -}}\n  d{# c #}\ne",
                    "a\n  b c de"),
            Arguments.of("breakcont", "{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 5 %}{% break %}{% endif %}{{ i }}{% endfor %}",
                    "0134"),
            Arguments.of("items", "{% for k, v in {'a': 1, 'b': [2]}.items() %}{{ k }}={{ v }};{% endfor %}{{ {'a':1}.get('z', 'none') }}",
                    "a=1;b=[2];none"),
            Arguments.of("setblock", "{% set s %}in {{ 1 + 1 }}{% endset %}[{{ s }}]{% filter upper %}up {{ 'x' }}{% endfilter %}",
                    "[in 2]UP X"),
            Arguments.of("repr", "{{ ['a', \"b'c\", 1.5, none, true, {'k': 'v'}] }}",
                    "['a', \"b'c\", 1.5, None, True, {'k': 'v'}]"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("snippets")
    void rendersAsJinja2(String name, String source, String expected) {
        Map<String, Object> vars = new java.util.HashMap<>();
        vars.put("b", null);
        assertEquals(expected, ChatTemplate.parse(source, name).render(vars));
    }

    private static String failure(String source) {
        return assertThrows(ChatTemplateException.class, () -> ChatTemplate.parse(source, "t.jinja").render(Map.of())).getMessage();
    }

    @Test
    void errorsNameTheTemplateAndLine() {
        assertEquals("t.jinja:2: access to attribute 'append' of 'list' object is unsafe.", failure("x\n{{ [].append(1) }}"));
        assertEquals("t.jinja:1: 'x' is undefined", failure("{{ x.y }}"));
        assertEquals("t.jinja:3: 'dict object' has no attribute 'a'", failure("{% set d = {} %}\n\n{{ d.a.b }}"));
        assertEquals("t.jinja:1: no thanks", failure("{{ raise_exception('no thanks') }}"));
        assertEquals("t.jinja:2: unknown tag 'frob'", failure("ok\n{% frob %}"));
        assertEquals("t.jinja:1: missing end tag (one of else, endfor)", failure("{% for i in x %}"));
        assertEquals("t.jinja:1: object of type 'generator' has no len()", failure("{{ [1]|map('string')|length }}"));
        assertEquals("t.jinja:1: No filter named 'nope'.", failure("{{ 1|nope }}"));
    }

    @Test
    void conversationVariables() {
        ChatTemplate t = ChatTemplate.parse("{{ bos_token }}{% for m in messages %}<{{ m.role }}>{{ m['content'] }}{% endfor %}"
                + "{% if add_generation_prompt %}<assistant>{% endif %}{{ tools }}", "t");
        assertEquals("<s><user>hi<assistant>None", t.render(List.of(new ChatMessage("user", "hi")), true, "<s>", "</s>"));
    }
}
