# Writes tensor/src/test/resources/torch/: files saved by PyTorch itself (torch.save) for TorchLoadTest,
# with the values they hold in expected.json. Run from the repository root with a Python that has torch:
#   /usr/bin/python3 tensor/src/test/oracle/torch_files.py
import json
import torch

out = "tensor/src/test/resources/torch/"
torch.manual_seed(0)
w = torch.nn.Parameter(torch.arange(6, dtype=torch.float32).reshape(3, 2) / 7)
b = torch.nn.Parameter(torch.tensor([0.5, -1.5]))
opt = torch.optim.AdamW([{"params": [w, b], "weight_decay": 0.01}, {"params": [], "weight_decay": 0.0}],
                        lr=2e-4, betas=(0.9, 0.95), eps=1e-6)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 3))
for step in range(2):
    loss = (w * w).sum() + (b ** 3).sum()
    loss.backward()
    opt.step()
    sched.step()
    opt.zero_grad()
torch.save(opt.state_dict(), out + "optimizer.pt")
torch.save(sched.state_dict(), out + "scheduler.pt")
other = {"bf16": torch.tensor([1.5, -2.25, 3.0], dtype=torch.bfloat16),
         "transposed": torch.arange(6, dtype=torch.float32).reshape(2, 3).t(),
         "slice": torch.arange(10, dtype=torch.float32)[3:7],
         "scalar": torch.tensor(4.0), "ints": [1, 300, 70000, -2, 2 ** 40], "nested": {"t": (1, "two", None, True)}}
torch.save(other, out + "misc.pt")
st = opt.state_dict()
expected = {
    "optimizer": {str(i): {k: (v.tolist() if torch.is_tensor(v) else v) for k, v in s.items()} for i, s in st["state"].items()},
    "param_groups": st["param_groups"],
    "scheduler": {k: v for k, v in sched.state_dict().items() if k != "lr_lambdas"},
    "misc": {"bf16": other["bf16"].float().tolist(), "transposed": other["transposed"].tolist(), "slice": other["slice"].tolist()},
}
with open(out + "expected.json", "w") as f:
    json.dump(expected, f, indent=1)
print("written with torch", torch.__version__)
