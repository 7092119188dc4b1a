"""Checks a qlora4j checkpoint folder the way HF Trainer resumes from it, with PyTorch alone.

Usage: python3 torch_resume_check.py CHECKPOINT_DIR LR_SCHEDULER_TYPE WARMUP TOTAL [--resave]
With --resave it then writes the folder's optimizer.pt and scheduler.pt again with torch.save, as
HF Trainer would at its next save, for the other direction (qlora4j resuming a Python checkpoint).
Loads optimizer.pt and scheduler.pt with torch.load into a torch.optim.AdamW over the adapter's
tensors in PEFT's named_parameters order (the two param groups HF's create_optimizer makes) and a
LambdaLR with HF's schedule, then prints one JSON line: the moments as torch holds them, compared
with qlora4j's own optimizer.safetensors, and the learning rate the scheduler gives next.
"""
import json
import math
import re
import struct
import sys

import numpy as np
import torch


def safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        assert v["dtype"] == "F32", v["dtype"]
        out[k] = np.frombuffer(raw[8 + n + a:8 + n + b], dtype="<f4").reshape(v["shape"])
    return out


ORDER = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def peft_order(key):
    m = re.search(r"layers\.(\d+)\.(?:self_attn|mlp)\.(\w+)\.lora_([AB])", key)
    if m is None:  # a saved head comes after the layers
        return (1 << 30, 0, 0)
    return (int(m.group(1)), ORDER.index(m.group(2)), m.group(3))


def hf_lambda(kind, warmup, total):
    def linear(step):
        if step < warmup:
            return step / max(1, warmup)
        return max(0.0, (total - step) / max(1, total - warmup))

    def cosine(step):
        if step < warmup:
            return step / max(1, warmup)
        progress = (step - warmup) / max(1, total - warmup)
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * 0.5 * 2.0 * progress)))

    return {"linear": linear, "cosine": cosine}[kind]


def main():
    ckpt, kind, warmup, total = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    adapter = safetensors(ckpt + "/adapter_model.safetensors")
    keys = sorted(adapter, key=peft_order)
    params = [torch.nn.Parameter(torch.from_numpy(adapter[k].copy())) for k in keys]
    groups = [{"params": params, "weight_decay": 0.01}, {"params": [], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=1.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, hf_lambda(kind, warmup, total))
    opt.load_state_dict(torch.load(ckpt + "/optimizer.pt"))
    sched.load_state_dict(torch.load(ckpt + "/scheduler.pt"))
    ours = safetensors(ckpt + "/optimizer.safetensors")
    worst = 0.0
    for i, p in enumerate(params):
        st = opt.state[p]
        for name in ("exp_avg", "exp_avg_sq"):
            theirs = st[name].numpy()
            assert theirs.shape == tuple(p.shape), (keys[i], theirs.shape, p.shape)
            worst = max(worst, float(np.abs(theirs.reshape(-1) - ours["%d.%s" % (i, name)].reshape(-1)).max()))
    # one more scheduler step gives the rate of the step after the next, as in HF's loop
    lr_next = opt.param_groups[0]["lr"]
    if "--resave" in sys.argv:
        torch.save(opt.state_dict(), ckpt + "/optimizer.pt")
        torch.save(sched.state_dict(), ckpt + "/scheduler.pt")
    sched.step()
    print(json.dumps({"params": len(params), "step": float(opt.state[params[0]]["step"]), "max_moment_diff": worst,
                      "lr_next": lr_next, "lr_after": opt.param_groups[0]["lr"], "last_epoch": sched.last_epoch,
                      "groups": len(opt.param_groups), "weight_decay": opt.param_groups[0]["weight_decay"]}))


main()
