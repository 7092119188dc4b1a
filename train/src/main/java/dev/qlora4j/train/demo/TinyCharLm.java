package dev.qlora4j.train.demo;

import dev.qlora4j.tensor.Attention;
import dev.qlora4j.tensor.CrossEntropy;
import dev.qlora4j.tensor.Embedding;
import dev.qlora4j.tensor.Generator;
import dev.qlora4j.tensor.MatMul;
import dev.qlora4j.tensor.RmsNorm;
import dev.qlora4j.tensor.Rope;
import dev.qlora4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * A small Llama-shaped character language model built directly from engine ops: embeddings,
 * pre-norm decoder blocks (RMSNorm, causal attention with RoPE and grouped-query heads, SwiGLU
 * MLP) and a tied output head. It exists so the demo trains a real transformer end to end.
 */
final class TinyCharLm {
    record Shape(int vocab, int hidden, int heads, int kvHeads, int layers, int mlp, int context) {
        int headDim() {
            return hidden / heads;
        }
    }

    private record Block(Tensor attnNorm, Tensor wq, Tensor wk, Tensor wv, Tensor wo,
                         Tensor mlpNorm, Tensor wGate, Tensor wUp, Tensor wDown) {}

    private final Shape s;
    private final Tensor embed, finalNorm;
    private final List<Block> blocks = new ArrayList<>();
    private final Rope.Table rope;
    private final List<Tensor> params = new ArrayList<>();

    TinyCharLm(Shape s, Generator gen) {
        this.s = s;
        float std = 0.02f;
        embed = param(Tensor.randn(gen, std, s.vocab(), s.hidden()));
        for (int l = 0; l < s.layers(); l++) {
            int kv = s.kvHeads() * s.headDim();
            blocks.add(new Block(param(Tensor.ones(s.hidden())),
                    param(Tensor.randn(gen, std, s.hidden(), s.hidden())),
                    param(Tensor.randn(gen, std, kv, s.hidden())),
                    param(Tensor.randn(gen, std, kv, s.hidden())),
                    param(Tensor.randn(gen, std / (float) Math.sqrt(2 * s.layers()), s.hidden(), s.hidden())),
                    param(Tensor.ones(s.hidden())),
                    param(Tensor.randn(gen, std, s.mlp(), s.hidden())),
                    param(Tensor.randn(gen, std, s.mlp(), s.hidden())),
                    param(Tensor.randn(gen, std / (float) Math.sqrt(2 * s.layers()), s.hidden(), s.mlp()))));
        }
        finalNorm = param(Tensor.ones(s.hidden()));
        rope = Rope.Table.create(Rope.Table.defaultInvFreq(s.headDim(), 10000), s.context(), 1f);
    }

    private Tensor param(Tensor t) {
        params.add(t.requiresGrad(true));
        return t;
    }

    List<Tensor> parameters() {
        return params;
    }

    long parameterCount() {
        return params.stream().mapToLong(Tensor::numel).sum();
    }

    /** Mean next-token cross-entropy of ids [B, T+1]: predict ids[:, 1:] from ids[:, :-1]. */
    Tensor loss(Tensor ids) {
        int b = ids.size(0), t = ids.size(1) - 1;
        Tensor inputs = ids.narrow(1, 0, t).contiguous(), targets = ids.narrow(1, 1, t).contiguous();
        Tensor logits = logits(inputs);
        return CrossEntropy.apply(logits.reshape(b * t, s.vocab()), targets.reshape(b * t), CrossEntropy.Reduction.MEAN);
    }

    // ids [B, T] → logits [B, T, V]
    Tensor logits(Tensor ids) {
        int b = ids.size(0), t = ids.size(1), hd = s.headDim();
        Tensor positions = Tensor.ofInts(java.util.stream.IntStream.range(0, t).toArray(), t);
        Tensor x = Embedding.lookup(embed, ids);
        for (Block blk : blocks) {
            Tensor h = RmsNorm.apply(x, blk.attnNorm(), 1e-5f, false);
            Tensor q = MatMul.linear(h, blk.wq(), null).reshape(b, t, s.heads(), hd).transpose(1, 2);
            Tensor k = MatMul.linear(h, blk.wk(), null).reshape(b, t, s.kvHeads(), hd).transpose(1, 2);
            Tensor v = MatMul.linear(h, blk.wv(), null).reshape(b, t, s.kvHeads(), hd).transpose(1, 2);
            q = Rope.apply(q, rope, positions);
            k = Rope.apply(k, rope, positions);
            Tensor att = Attention.sdpa(q, k, v, Attention.Options.causal((float) (1 / Math.sqrt(hd))));
            x = x.add(MatMul.linear(att.transpose(1, 2).reshape(b, t, s.hidden()), blk.wo(), null));
            h = RmsNorm.apply(x, blk.mlpNorm(), 1e-5f, false);
            Tensor gated = MatMul.linear(h, blk.wGate(), null).silu().mul(MatMul.linear(h, blk.wUp(), null));
            x = x.add(MatMul.linear(gated, blk.wDown(), null));
        }
        x = RmsNorm.apply(x, finalNorm, 1e-5f, false);
        return MatMul.linear(x, embed, null);
    }
}
