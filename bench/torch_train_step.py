# Copied from the project's peer script /work/shared/peers/torch_cpu_train_step.py (ours to use), unchanged
# below this comment; bench/train-step-vs-pytorch.sh runs it next to qlora4j's TrainStepBench.
"""CPU peer for bench/train-step-vs-pytorch: a Llama-style model in plain PyTorch (eager), 2 threads.

Run with Debian's torch and OpenBLAS behind it (apt-get install python3-torch libopenblas0-pthread),
with OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset for that command:
    /usr/bin/python3 torch_cpu_train_step.py [full|lora|decode] [steps]
Prints one JSON line: mode, tokens_per_s, ms_per_step, params, torch version.
"""
import json
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

H, L, NH, KV, FF, V, T, B = 512, 8, 8, 2, 2048, 32000, 256, 4
HD = H // NH
torch.manual_seed(0)
torch.set_num_threads(2)


class RMSNorm(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.ones(H))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * self.w


class LoraLinear(nn.Module):
    """y = x W^T + (alpha/r) x A^T B^T, base frozen."""

    def __init__(self, base, r=16, alpha=32):
        super().__init__()
        self.base, self.scale = base, alpha / r
        self.a = nn.Parameter(torch.randn(r, base.in_features) * 0.01)
        self.b = nn.Parameter(torch.zeros(base.out_features, r))

    def forward(self, x):
        return self.base(x) + (x @ self.a.t() @ self.b.t()) * self.scale


def rope(x, cos, sin):
    x1, x2 = x[..., :HD // 2], x[..., HD // 2:]
    return x * cos + torch.cat((-x2, x1), -1) * sin


def rope_table(start, t):
    inv = 1.0 / (10000 ** (torch.arange(0, HD, 2).float() / HD))
    f = torch.outer(torch.arange(start, start + t).float(), inv)
    e = torch.cat((f, f), -1)
    return e.cos(), e.sin()


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.n1, self.n2 = RMSNorm(), RMSNorm()
        self.q = nn.Linear(H, H, bias=False)
        self.k = nn.Linear(H, KV * HD, bias=False)
        self.v = nn.Linear(H, KV * HD, bias=False)
        self.o = nn.Linear(H, H, bias=False)
        self.g = nn.Linear(H, FF, bias=False)
        self.u = nn.Linear(H, FF, bias=False)
        self.d = nn.Linear(FF, H, bias=False)

    def forward(self, x, cos, sin, cache=None):
        h = self.n1(x)
        b, t, _ = h.shape
        q = self.q(h).view(b, t, NH, HD).transpose(1, 2)
        k = self.k(h).view(b, t, KV, HD).transpose(1, 2)
        v = self.v(h).view(b, t, KV, HD).transpose(1, 2)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        if cache is not None:
            if "k" in cache:
                k = torch.cat((cache["k"], k), 2)
                v = torch.cat((cache["v"], v), 2)
            cache["k"], cache["v"] = k, v
        k = k.repeat_interleave(NH // KV, 1)
        v = v.repeat_interleave(NH // KV, 1)
        s = k.shape[2]
        att = (q @ k.transpose(-1, -2)) / HD ** 0.5
        mask = torch.ones(t, s, dtype=torch.bool).triu(s - t + 1)
        att = att.masked_fill(mask, float("-inf")).softmax(-1)
        a = (att @ v).transpose(1, 2).reshape(b, t, H)
        x = x + self.o(a)
        h = self.n2(x)
        return x + self.d(F.silu(self.g(h)) * self.u(h))


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, H)
        self.blocks = nn.ModuleList([Block() for _ in range(L)])
        self.norm = RMSNorm()
        self.head = nn.Linear(H, V, bias=False)

    def forward(self, ids, start=0, caches=None):
        cos, sin = rope_table(start, ids.shape[1])
        x = self.emb(ids)
        for i, blk in enumerate(self.blocks):
            x = blk(x, cos, sin, None if caches is None else caches[i])
        return self.head(self.norm(x))


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "full"
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    m = Model()
    params = sum(p.numel() for p in m.parameters())
    if mode == "lora":
        for p in m.parameters():
            p.requires_grad_(False)
        for blk in m.blocks:
            blk.q, blk.v = LoraLinear(blk.q), LoraLinear(blk.v)
    ids = torch.randint(0, V, (B, T))
    if mode == "decode":
        with torch.no_grad():
            prompt, new = ids[:1, :16], 128
            caches = [dict() for _ in range(L)]
            m(prompt, 0, caches)
            tok = prompt[:, -1:]
            t0 = time.perf_counter()
            for i in range(new):
                logits = m(tok, 16 + i, caches)
                tok = logits[:, -1].argmax(-1, keepdim=True)
            dt = time.perf_counter() - t0
        res = dict(mode=mode, tokens_per_s=new / dt, ms_per_token=dt / new * 1000)
    else:
        def step():
            logits = m(ids)
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, V), ids[:, 1:].reshape(-1))
            loss.backward()
        step()
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        dt = (time.perf_counter() - t0) / steps
        res = dict(mode=mode, tokens_per_s=B * T / dt, ms_per_step=dt * 1000)
    res.update(params=params, torch=torch.__version__, threads=torch.get_num_threads(),
               shape=dict(hidden=H, layers=L, heads=NH, kv_heads=KV, ffn=FF, vocab=V, seq=T, batch=B))
    print(json.dumps(res))


if __name__ == "__main__":
    main()
