"""Writes a Hugging Face model folder with random bf16 weights in a real model's shapes, for
real-size runs of qlora4j without downloading a model (numpy only; no torch, no network).

Usage: python3 bench/random_hf_model.py SHAPE TASK OUT_DIR
  SHAPE: llama32-1b | llama3-8b | gemma2-2b | gemma2-9b   (the configs of ../shared/peers/bench_peft.py)
         | llama-mini (63 M parameters, TrainStepBench's shape: for CPU benchmarks such as bench/data-parallel.sh)
  TASK:  causal | seqcls                                 (seqcls: 3 labels, pad_token_id set)

The tokenizer files are the matching tiny fixture's (fixtures/hf/{llama,gemma2}[-seqcls]/model):
their ids are a subset of the real vocabulary, so text goes through the real data pipeline while
every weight has the real size. Weights: normal(0, 0.02) bf16 (one random block reused with a
shift per tensor: enough for speed and memory, not for learning); norms of ones (Gemma: zeros,
as Gemma adds 1). Written tensor by tensor, so memory stays small.
"""
import json
import shutil
import struct
import sys
from pathlib import Path

import numpy as np

SHAPES = {
    "llama-mini": dict(family="llama", vocab_size=32000, hidden_size=512, intermediate_size=2048, num_hidden_layers=8,
                       num_attention_heads=8, num_key_value_heads=2, head_dim=64, tie_word_embeddings=False),
    "llama32-1b": dict(family="llama", vocab_size=128256, hidden_size=2048, intermediate_size=8192, num_hidden_layers=16,
                       num_attention_heads=32, num_key_value_heads=8, head_dim=64, tie_word_embeddings=True),
    "llama3-8b": dict(family="llama", vocab_size=128256, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                      num_attention_heads=32, num_key_value_heads=8, head_dim=128, tie_word_embeddings=False),
    "gemma2-2b": dict(family="gemma2", vocab_size=256000, hidden_size=2304, intermediate_size=9216, num_hidden_layers=26,
                      num_attention_heads=8, num_key_value_heads=4, head_dim=256, tie_word_embeddings=True),
    "gemma2-9b": dict(family="gemma2", vocab_size=256000, hidden_size=3584, intermediate_size=14336, num_hidden_layers=42,
                      num_attention_heads=16, num_key_value_heads=8, head_dim=256, tie_word_embeddings=True),
}
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "hf"


def config(shape, task):
    s = dict(SHAPES[shape])
    family = s.pop("family")
    fixture = FIXTURES / (family + ("-seqcls" if task == "seqcls" else "")) / "model"
    c = json.loads((fixture / "config.json").read_text())
    c.update(s)
    c.update(dtype="bfloat16", max_position_embeddings=8192)
    if family == "llama":
        c["rope_parameters"] = {"rope_theta": 500000.0, "rope_type": "default"}
    else:
        c.update(sliding_window=4096, query_pre_attn_scalar=256, attn_logit_softcapping=50.0, final_logit_softcapping=30.0,
                 layer_types=["sliding_attention" if i % 2 == 0 else "full_attention" for i in range(c["num_hidden_layers"])])
    if task == "seqcls":
        c["tie_word_embeddings"] = False
        if c.get("pad_token_id") is None:
            c["pad_token_id"] = 0
    return family, fixture, c


def tensors(family, c, task):
    h, i, n = c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"]
    q, kv = c["num_attention_heads"] * c["head_dim"], c["num_key_value_heads"] * c["head_dim"]
    out = [("model.embed_tokens.weight", (c["vocab_size"], h)), ("model.norm.weight", (h,))]
    norms = ["input_layernorm", "post_attention_layernorm"]
    if family == "gemma2":
        norms += ["pre_feedforward_layernorm", "post_feedforward_layernorm"]
    for layer in range(n):
        p = f"model.layers.{layer}."
        out += [(p + "self_attn.q_proj.weight", (q, h)), (p + "self_attn.k_proj.weight", (kv, h)),
                (p + "self_attn.v_proj.weight", (kv, h)), (p + "self_attn.o_proj.weight", (h, q)),
                (p + "mlp.gate_proj.weight", (i, h)), (p + "mlp.up_proj.weight", (i, h)), (p + "mlp.down_proj.weight", (h, i))]
        out += [(p + m + ".weight", (h,)) for m in norms]
    if task == "seqcls":
        out.append(("score.weight", (len(c["id2label"]), h)))
    elif not c["tie_word_embeddings"]:
        out.append(("lm_head.weight", (c["vocab_size"], h)))
    return sorted(out)


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in SHAPES or sys.argv[2] not in ("causal", "seqcls"):
        sys.exit(__doc__)
    shape, task, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    family, fixture, c = config(shape, task)
    out.mkdir(parents=True, exist_ok=True)
    for f in fixture.iterdir():
        if f.name not in ("config.json", "model.safetensors"):
            shutil.copy(f, out / f.name)
    (out / "config.json").write_text(json.dumps(c, indent=2) + "\n")
    layout = tensors(family, c, task)
    header, offset = {}, 0
    for name, dims in layout:
        size = int(np.prod(dims)) * 2
        header[name] = {"dtype": "BF16", "shape": list(dims), "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    block = ((np.random.default_rng(0).standard_normal(1 << 24, dtype=np.float32) * 0.02).view(np.uint32) >> 16).astype(np.uint16)
    norm = 0 if family == "gemma2" else 0x3F80
    with open(out / "model.safetensors", "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for k, (name, dims) in enumerate(layout):
            count = int(np.prod(dims))
            if name.endswith("norm.weight"):
                f.write(np.full(count, norm, np.uint16).tobytes())
                continue
            shifted = np.roll(block, (k * 7919) % len(block))
            while count > 0:
                m = min(count, len(shifted))
                f.write(shifted[:m].tobytes())
                count -= m
    params = sum(int(np.prod(d)) for _, d in layout)
    print(json.dumps({"out": str(out), "shape": shape, "task": task, "parameters": params, "bytes": offset}))


if __name__ == "__main__":
    main()
