// NF4 dequantization to bf16, as bitsandbytes' dequantize_4bit: element i is code[nibble(i)]·absmax
// of its block, rounded once to bf16. Two elements per byte, the first in the high nibble. The
// absmax is fp32 per block, or (double quantization) an 8-bit code into `map` times its nested
// block's scale plus `offset` (two float ops, no fused multiply-add, as torch runs them).
// Plain absmax: pass absmaxCodes = 0 and the fp32 values in `nested` with nestedBlock = 1.
extern "C" __global__ void nf4_dequant_bf16(const unsigned char* packed, const float* code, const unsigned char* absmaxCodes,
                                            const float* map, const float* nested, int nestedBlock, float offset,
                                            int blocksize, bf16* out, long long n) {
    FOR_EACH(pair, (n + 1) / 2) {
        unsigned int b = packed[pair];
        for (int h = 0; h < 2; h++) {
            long long i = 2 * pair + h;
            if (i >= n) break;
            long long block = i / blocksize;
            float absmax = absmaxCodes
                    ? __fadd_rn(__fmul_rn(map[absmaxCodes[block]], nested[block / nestedBlock]), offset)
                    : nested[block];
            unsigned int c = h == 0 ? (b >> 4) & 15u : b & 15u;
            out[i] = f2bf(__fmul_rn(code[c], absmax));
        }
    }
}
