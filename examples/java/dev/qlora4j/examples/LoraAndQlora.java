package dev.qlora4j.examples;

import dev.qlora4j.model.config.QuantizationConfig;
import dev.qlora4j.model.lora.LoraConfig;
import dev.qlora4j.model.lora.LoraModel;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.model.tokenizer.Tokenizer;
import dev.qlora4j.tensor.CrossEntropy;
import dev.qlora4j.tensor.Generator;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.train.optim.AdamW8bit;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** LoRA on a model folder: a few AdamW8bit steps on one sentence, the adapter saved; then QLoRA: that adapter on the NF4 model. */
public final class LoraAndQlora {
    public static void main(String[] args) throws IOException {
        // a Hugging Face folder (Llama, Qwen2, Gemma-2); by default the tiny Llama of the test fixtures
        Path modelDir = Path.of(args.length > 0 ? args[0] : "fixtures/hf/llama/model");
        Path adapterDir = Path.of(args.length > 1 ? args[1] : "runs/example-adapter");

        int[] tokens = Tokenizer.load(modelDir).encode("Know thyself, said the oracle at Delphi.", true).ids();
        int[] ones = new int[tokens.length];
        Arrays.fill(ones, 1);
        Tensor ids = Tensor.ofInts(tokens, 1, tokens.length), mask = Tensor.ofInts(ones, 1, tokens.length);
        Tensor labels = ids;                                  // every next token is a target

        try (Transformer model = Transformer.load(modelDir)) {
            LoraModel lora = LoraModel.attach(model,
                    LoraConfig.of(16, 32, 0.05, List.of("q_proj", "v_proj"), "CAUSAL_LM"), new Generator(42), new Generator(43));
            AdamW8bit optimizer = new AdamW8bit(lora.trainableParameters(), 0.9f, 0.999f, 1e-8f, 0.01f);
            for (int step = 1; step <= 10; step++) {
                Tensor loss = model.causalLmLoss(ids, mask, labels, CrossEntropy.Reduction.MEAN);
                loss.backward();                              // gradients on lora_A / lora_B only
                optimizer.step(1e-2f);
                optimizer.zeroGrad();
                System.out.printf("step %d: loss %.4f%n", step, loss.item());
            }
            lora.save(adapterDir);                            // adapter_config.json + adapter_model.safetensors (PEFT layout)
            System.out.println("adapter saved to " + adapterDir);
        }

        // QLoRA: quantize the projections to NF4 (double quant) on load, exactly as bitsandbytes would
        try (Transformer q = Transformer.load(modelDir, false, QuantizationConfig.nf4(true));
             var ignored = Tensor.noGrad()) {
            System.out.printf("NF4 base: loss %.4f%n", q.causalLmLoss(ids, mask, labels, CrossEntropy.Reduction.MEAN).item());
            LoraModel lora = LoraModel.load(q, adapterDir, new Generator(43));
            lora.setTraining(false);                          // no dropout when evaluating
            System.out.printf("NF4 base + adapter: loss %.4f%n", q.causalLmLoss(ids, mask, labels, CrossEntropy.Reduction.MEAN).item());
        }
    }
}
