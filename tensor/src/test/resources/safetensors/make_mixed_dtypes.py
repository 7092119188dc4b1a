"""Writes mixed_dtypes.safetensors with the reference writer (pip package safetensors 0.8.0, numpy).

Every engine dtype, a scalar, an empty tensor, names that sort differently in UTF-16 and UTF-8,
names and metadata that need JSON escapes. Values follow simple formulas that
SafetensorsPythonCompatTest rebuilds in Java. BF16 has no numpy type, so its raw bits go through
TensorSpec directly. Run: python3 make_mixed_dtypes.py (writes next to this script).
"""
import os
import numpy as np
from safetensors import TensorSpec, serialize

arrays = {
    "f64.b": np.arange(6, dtype=np.float64).reshape(2, 3) * 0.25 - 1,
    "f64.a": np.array(3.5, dtype=np.float64),
    "i64": np.array([-3, 0, 2**53 + 1, -2**63], dtype=np.int64),
    "f32": (np.arange(12, dtype=np.float32) / 8 - 0.5).reshape(3, 4),
    "f32.empty": np.zeros((2, 0), dtype=np.float32),
    "Z": np.array([1], dtype=np.float32),
    "\u00e9": np.array([2], dtype=np.float32),
    "\uffff": np.array([3], dtype=np.float32),
    "\U0001F600": np.array([4], dtype=np.float32),
    "tab\there \"q\" back\\slash /\u0001\u007f": np.array([5], dtype=np.float32),
    "i32": np.array([-2**31, -1, 0, 1, 2**31 - 1], dtype=np.int32),
    "f16": np.array([0x3C00, 0xFC00, 0x7E01], dtype=np.uint16).view(np.float16),
    "i8": np.array([-128, -1, 0, 127], dtype=np.int8),
    "u8": np.array([0, 128, 255], dtype=np.uint8),
    "bool": np.array([[True, False], [False, True]]),
}
bf16_bits = np.array([0x3F80, 0xC000, 0x7FC0, 0x0001], dtype=np.uint16).reshape(2, 2)

specs = {k: TensorSpec(dtype=v.dtype.name, shape=v.shape, data_ptr=v.ctypes.data, data_len=v.nbytes)
         for k, v in arrays.items()}
specs["bf16"] = TensorSpec(dtype="bfloat16", shape=bf16_bits.shape, data_ptr=bf16_bits.ctypes.data,
                           data_len=bf16_bits.nbytes)
data = bytes(serialize(specs, metadata={"note\n": "a\u001fb\"c/\u00e9"}))
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "mixed_dtypes.safetensors"), "wb") as f:
    f.write(data)
