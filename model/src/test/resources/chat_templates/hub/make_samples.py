"""Builds samples.json: a few conversations rendered with the Hub templates by the jinja2 oracle.

    python3 make_samples.py        (run in this directory; needs python3 with jinja2 3.1)

Each sample is {"name", "template_file", "case", "result"}: "case" is the oracle's input without the template
text (the Java side reads it from template_file), "result" what ../render_jinja2.py answered for it.
Every case uses mode apply_chat_template, with the template's special tokens from special_tokens.json.
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ORACLE = os.path.join(HERE, "..", "render_jinja2.py")

SYSTEM_CHAT = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Hello! Who are you?"},
    {"role": "assistant", "content": "I am an assistant. How can I help?"},
    {"role": "user", "content": "What is 2 + 2?"},
]
PLAIN_CHAT = [
    {"role": "user", "content": "Hi"},
    {"role": "assistant", "content": "Hello! How can I help you today?"},
    {"role": "user", "content": "Tell me a joke about \"quotes\" & <tags>, in Fran\u00e7ais."},
    {"role": "assistant", "content": "  Why did the parser cry? It lost its closing tag.  "},
]
TOOLS = [{
    "type": "function",
    "function": {
        "name": "get_current_temperature",
        "description": "Get the current temperature at a location.",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string", "description": "The location, as \"City, Country\""},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["location"],
        },
    },
}]


def tool_chat(arguments_as_string=False, content=""):
    arguments = {"location": "Paris, France", "unit": "celsius"}
    if arguments_as_string:
        arguments = json.dumps(arguments)
    return [
        {"role": "system", "content": "You are a weather bot."},
        {"role": "user", "content": "What's the temperature in Paris?"},
        {"role": "assistant", "content": content, "tool_calls": [
            {"id": "call12345", "type": "function",
             "function": {"name": "get_current_temperature", "arguments": arguments}}]},
        {"role": "tool", "tool_call_id": "call12345", "name": "get_current_temperature", "content": "22.0"},
    ]


THINKING_CHAT = [
    {"role": "user", "content": "What is 2 + 2?"},
    {"role": "assistant", "content": "<think>\nTwo plus two.\n</think>\n\nIt is 4."},
    {"role": "user", "content": "And 3 + 3?"},
    {"role": "assistant", "content": "It is 6.", "reasoning_content": "Three plus three is six."},
]
PARTS_CHAT = [
    {"role": "system", "content": [{"type": "text", "text": "You describe images."}]},
    {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "  What is in this picture?  "}]},
    {"role": "assistant", "content": [{"type": "text", "text": "A cat on a mat."}]},
    {"role": "user", "content": [{"type": "text", "text": "What colour is the cat?"}]},
]

ALL = sorted(f for f in os.listdir(HERE) if f.endswith(".jinja"))
LLAMA = [f for f in ALL if f.startswith("meta-llama-")]
QWEN = ["Qwen-Qwen2.5-7B-Instruct.jinja", "Qwen-Qwen3-8B.jinja", "Qwen-Qwen3-0.6B.jinja"]
MISTRAL = ["mistralai-Mistral-7B-Instruct-v0.3.jinja", "mistralai-Mistral-Nemo-Instruct-2407.jinja"]
DEEPSEEK = [f for f in ALL if f.startswith("deepseek-ai-")]
QWEN3 = ["Qwen-Qwen3-8B.jinja", "Qwen-Qwen3-0.6B.jinja"]
GEMMA3 = [f for f in ALL if f.startswith("google-gemma-3")]


def samples():
    out = []

    def add(name, file, variables, **flags):
        out.append((name, file, dict(variables), flags))

    fixed_date = {"date_string": "26 Jul 2024"}
    for f in ALL:
        extra = fixed_date if f in LLAMA else {}
        add("system chat + generation prompt", f, {"messages": SYSTEM_CHAT, "add_generation_prompt": True, **extra})
        add("plain chat, no generation prompt", f, {"messages": PLAIN_CHAT, **extra})
    for f in LLAMA + QWEN + MISTRAL:
        extra = fixed_date if f in LLAMA else {}
        add("tools, tool call and tool result + generation prompt", f,
            {"messages": tool_chat(), "tools": TOOLS, "add_generation_prompt": True, **extra})
    for f in DEEPSEEK:
        add("tool call (string arguments, null content) and tool result + generation prompt", f,
            {"messages": tool_chat(arguments_as_string=True, content=None), "add_generation_prompt": True})
    add("tool call with null content", "Qwen-Qwen3-0.6B.jinja",
        {"messages": tool_chat(content=None), "tools": TOOLS, "add_generation_prompt": True})
    for f in LLAMA:
        add("tools in the system message (tools_in_user_message false)", f,
            {"messages": tool_chat(), "tools": TOOLS, "tools_in_user_message": False, **fixed_date})
    add("no date_string: strftime_now at a fixed clock", "meta-llama-Llama-3.2-3B-Instruct.jinja",
        {"messages": SYSTEM_CHAT, "add_generation_prompt": True}, now="2025-03-07T09:30:00")
    for f in QWEN3:
        add("enable_thinking false + generation prompt", f,
            {"messages": SYSTEM_CHAT, "add_generation_prompt": True, "enable_thinking": False})
        add("reasoning_content and inline <think>", f, {"messages": THINKING_CHAT})
    for f in GEMMA3:
        add("content as a list of parts + generation prompt", f, {"messages": PARTS_CHAT, "add_generation_prompt": True})
    add("continue_final_message", "Qwen-Qwen2.5-7B-Instruct.jinja",
        {"messages": SYSTEM_CHAT + [{"role": "assistant", "content": "The answer is "}]}, continue_final_message=True)
    add("continue_final_message (content parts)", "google-gemma-3-4b-it.jinja",
        {"messages": PARTS_CHAT + [{"role": "assistant", "content": [{"type": "text", "text": "It is"}]}]},
        continue_final_message=True)
    return out


def main():
    tokens = json.load(open(os.path.join(HERE, "special_tokens.json"), encoding="utf-8"))
    built = []
    for name, file, variables, flags in samples():
        case = {"mode": "apply_chat_template", "variables": {**tokens[file], **variables}, **flags}
        built.append((name, file, case))
    oracle_input = []
    for _, file, case in built:
        with open(os.path.join(HERE, file), encoding="utf-8", newline="") as f:
            oracle_input.append({"template": f.read(), **case})
    done = subprocess.run([sys.executable, ORACLE], input=json.dumps(oracle_input, ensure_ascii=False),
                          capture_output=True, text=True, encoding="utf-8", check=True)
    results = json.loads(done.stdout)
    doc = [{"name": name, "template_file": file, "case": case, "result": result}
           for (name, file, case), result in zip(built, results)]
    with open(os.path.join(HERE, "samples.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(doc, ensure_ascii=False, indent=1) + "\n")
    errors = sum(1 for d in doc if "error" in d["result"])
    print(f"{len(doc)} samples, {errors} rendering errors")


if __name__ == "__main__":
    main()
