"""The oracle for the chat-template tests: renders templates with real jinja2, configured the way
transformers' apply_chat_template configures it (src/transformers/utils/chat_template_utils.py):

  * ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True) with jinja2.ext.loopcontrols and a
    {% generation %}...{% endgeneration %} tag (its body renders unchanged; its spans can be reported);
  * the tojson filter replaced by json.dumps(value, ensure_ascii=False, indent=, separators=, sort_keys=)
    (no HTML escaping, unlike jinja2's own tojson);
  * globals raise_exception(message) (raises jinja2.exceptions.TemplateError) and strftime_now(format)
    (datetime.now().strftime(format), local time).

stdin: a JSON list of cases; stdout: a JSON list of results, one per case, in order.

A case is {"template": str, "variables": {...}} plus these optional keys:
  "mode": "render" (default): template.render(**variables), nothing added, nothing checked.
          "apply_chat_template": what tokenizer.apply_chat_template(messages, tokenize=False, ...) renders:
              variables must hold "messages"; "tools" and "documents" default to None and
              "add_generation_prompt" to False (so `tools is defined` is true, as in transformers); every
              other variable (special tokens, enable_thinking, date_string, ...) is passed as a keyword.
              Tools and documents must be JSON objects (transformers' checks). With
              "continue_final_message": true the text is cut after the final message's content, as
              transformers does (its last text part when the content is a list).
  "return_assistant_tokens_mask": true: the result also holds "generation_indices", the [start, end)
          character spans of {% generation %} blocks, tracked the way transformers tracks them (including
          its quirk: a block that starts before anything was emitted or recorded is not recorded).
  "now": "YYYY-MM-DDTHH:MM:SS[.ffffff]": the clock strftime_now reads, for deterministic output.

A result is {"rendered": str} (plus "generation_indices" when asked), or, when rendering raises,
{"error": "<ExceptionType>: <message>", "error_type": "<ExceptionType>", "message": "<message>"}.
"""
import json
import sys
from datetime import datetime

import jinja2
import jinja2.ext
import jinja2.nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment


class _Clock:
    """What strftime_now reads: the real local time unless a case fixes it."""

    fixed = None

    @classmethod
    def now(cls):
        return cls.fixed if cls.fixed is not None else datetime.now()


class _Spans:
    """Output emitted so far and the generation spans recorded, while a case asks for them."""

    chunks = None
    spans = None

    @classmethod
    def tracking(cls):
        # transformers records a span only when its tracker "is active", which it decides by the
        # truthiness of the two lists: before the first emitted chunk or span, it is not.
        return bool(cls.chunks) or bool(cls.spans)


class GenerationTag(jinja2.ext.Extension):
    """{% generation %}body{% endgeneration %}: renders body as is, noting where it lands in the output."""

    tags = {"generation"}

    def parse(self, parser):
        line = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_emit", []), [], [], body).set_lineno(line)

    def _emit(self, caller):
        text = caller()
        if _Spans.chunks is not None and _Spans.tracking():
            start = sum(len(c) for c in _Spans.chunks)
            _Spans.spans.append([start, start + len(text)])
        return text


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(value, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(format):
    return _Clock.now().strftime(format)


def make_environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[GenerationTag, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def chat_variables(variables):
    """apply_chat_template's keyword set: messages, tools, documents, add_generation_prompt, then the rest."""
    if "messages" not in variables:
        raise ValueError("apply_chat_template mode needs variables.messages")
    tools = variables.get("tools")
    documents = variables.get("documents")
    if tools is not None:
        for tool in tools:
            if not isinstance(tool, dict):
                raise ValueError("Tools should either be a JSON schema, or a callable function with type hints "
                                 "and a docstring suitable for auto-conversion to a schema.")
    if documents is not None:
        for document in documents:
            if not isinstance(document, dict):
                raise TypeError("Documents should be a list of dicts with 'title' and 'text' keys!")
    out = {"messages": variables["messages"], "tools": tools, "documents": documents,
           "add_generation_prompt": variables.get("add_generation_prompt", False)}
    for key, value in variables.items():
        if key not in out:
            out[key] = value
    return out


def cut_after_final_message(text, messages):
    """continue_final_message: keep the text up to the end of the last message's content."""
    final = messages[-1]["content"]
    if isinstance(final, list):
        # the last part holding "text" (a membership test, as transformers does it)
        parts = [part for part in final if "text" in part]
        if not parts:
            raise ValueError("continue_final_message is set but we could not find any text to continue"
                             "in the final message!")
        final = parts[-1]["text"]
    core = final.strip()
    if core not in text:
        raise ValueError("continue_final_message is set but the final message does not appear in the chat after "
                         "applying the chat template! This can happen if the chat template deletes portions of "
                         "the final message. Please verify the chat template and final message in your chat to "
                         "ensure they are compatible.")
    at = text.rindex(core)
    kept_left = final.lstrip()
    if text[at:at + len(kept_left)] == final:
        return text[:at + len(kept_left)]
    return text[:at + len(core)]


def render_case(env, case):
    variables = case.get("variables", {})
    mode = case.get("mode", "render")
    if mode == "apply_chat_template":
        if case.get("continue_final_message") and variables.get("add_generation_prompt"):
            raise ValueError("continue_final_message and add_generation_prompt are not compatible")
        if case.get("continue_final_message") and case.get("return_assistant_tokens_mask"):
            raise ValueError("continue_final_message is not compatible with return_assistant_tokens_mask")
        variables = chat_variables(variables)
    elif mode != "render":
        raise ValueError("unknown mode " + repr(mode))
    _Clock.fixed = datetime.fromisoformat(case["now"]) if case.get("now") else None
    template = env.from_string(case["template"])
    result = {}
    if case.get("return_assistant_tokens_mask"):
        _Spans.chunks, _Spans.spans = [], []
        try:
            for chunk in template.generate(**variables):
                _Spans.chunks.append(chunk)
            text, spans = "".join(_Spans.chunks), _Spans.spans
        finally:
            _Spans.chunks = _Spans.spans = None
        result["generation_indices"] = spans
    else:
        text = template.render(**variables)
    if mode == "apply_chat_template" and case.get("continue_final_message"):
        text = cut_after_final_message(text, variables["messages"])
    return {"rendered": text, **result}


def main():
    env = make_environment()
    results = []
    for case in json.load(sys.stdin):
        try:
            results.append(render_case(env, case))
        except Exception as e:  # the Java side compares the message
            results.append({"error": type(e).__name__ + ": " + str(e), "error_type": type(e).__name__,
                            "message": str(e)})
        finally:
            _Clock.fixed = None
    json.dump(results, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
