"""The peer of ChatTemplateBench: the same 20-turn render with real jinja2, set up as transformers sets it up.
Prints the mean microseconds per warm render, and the milliseconds of a first render in this process
(template compile included, the jinja2 import not)."""
import sys
import time
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "model/src/test/resources/chat_templates"))
from render_jinja2 import make_environment as environment  # noqa: E402


def conversation(turns):
    out = [{"role": "system", "content": "You are Socrates. Answer with a question that examines the assumption behind the user's words."}]
    for t in range(turns):
        if t % 2 == 0:
            text = f"Turn {t}: what is justice, if not the advantage of the stronger? I have heard it said in the agora, and many nod when they hear it."
            out.append({"role": "user", "content": text})
        else:
            text = f"Turn {t}: and when the stronger errs about their own advantage, is it still just to obey them? Let us look at this together, slowly."
            out.append({"role": "assistant", "content": text})
    return out


def main():
    source = Path(sys.argv[1]).read_text(encoding="utf-8")
    messages = conversation(20)
    env = environment()
    start = time.perf_counter()
    template = env.from_string(source)
    template.render(messages=messages, add_generation_prompt=True, bos_token="<s>", eos_token="</s>", tools=None, documents=None)
    first_ms = (time.perf_counter() - start) * 1e3
    n = 2000
    seconds = min(timeit.repeat(lambda: template.render(messages=messages, add_generation_prompt=True, bos_token="<s>",
                                                        eos_token="</s>", tools=None, documents=None), number=n, repeat=5))
    print(f"jinja2 warm_us {seconds / n * 1e6:.2f} first_ms {first_ms:.2f}")


if __name__ == "__main__":
    main()
