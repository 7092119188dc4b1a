package dev.qlora4j.test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlora4j.model.chat.ChatTemplate;
import dev.qlora4j.model.lora.LoraConfig;
import dev.qlora4j.model.lora.LoraModel;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.model.tokenizer.Tokenizer;
import dev.qlora4j.tensor.CrossEntropy;
import dev.qlora4j.tensor.Generator;
import dev.qlora4j.tensor.Tensor;
import dev.qlora4j.train.optim.AdamW;
import dev.qlora4j.train.optim.AdamW8bit;
import dev.qlora4j.train.optim.Optimizer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * LoRA training on the fixture's chat data with fp32 AdamW and with 8-bit AdamW (every tensor on
 * 8-bit moments): the loss curves stay close. The gap is printed for the record.
 */
class EightBitAdamTrainingTest {
    private static final Path LLAMA = Fixture.ROOT.resolve("llama");

    private static List<int[]> rows() throws IOException {
        Tokenizer tok = Tokenizer.load(LLAMA.resolve("model"));
        ChatTemplate template = ChatTemplate.load(LLAMA.resolve("model"));
        List<int[]> rows = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(LLAMA.resolve("train.jsonl"))) {
            JsonNode messages = json.readTree(line).get("messages");
            List<Map<String, Object>> m = ChatTemplate.parseMessages(messages.toString(), "train.jsonl");
            int[] ids = tok.encode(template.renderMessages(m, false), false).ids();
            rows.add(Arrays.copyOf(ids, Math.min(ids.length, 48)));
        }
        return rows;
    }

    private static float[] curve(Function<List<Tensor>, Optimizer> optimizer, List<int[]> rows, int steps) {
        try (Transformer model = Transformer.load(LLAMA.resolve("model"))) {
            LoraModel lora = LoraModel.attach(model, LoraConfig.of(8, 16, 0, List.of(LoraConfig.ALL_LINEAR), "CAUSAL_LM"),
                    new Generator(1), null);
            Optimizer opt = optimizer.apply(lora.trainableParameters());
            float[] losses = new float[steps];
            for (int s = 0; s < steps; s++) {
                int[] row = rows.get(s % rows.size());
                Tensor ids = Tensor.ofInts(row, 1, row.length);
                Tensor loss = model.causalLmLoss(ids, null, ids, CrossEntropy.Reduction.MEAN);
                losses[s] = loss.item();
                loss.backward();
                opt.step(5e-3f);
                opt.zeroGrad();
            }
            return losses;
        }
    }

    @Test
    void eightBitMomentsTrackTheFp32Run() throws IOException {
        List<int[]> rows = rows();
        int steps = 100;
        float[] fp32 = curve(p -> new AdamW(p, 0.9f, 0.999f, 1e-8f, 0.01f), rows, steps);
        float[] q8 = curve(p -> new AdamW8bit(p, 0.9f, 0.999f, 1e-8f, 0.01f, 0), rows, steps);
        double gap = 0, worst = 0;
        for (int s = 0; s < steps; s++) {
            double d = Math.abs(q8[s] - fp32[s]) / fp32[s];
            gap += d / steps;
            worst = Math.max(worst, d);
        }
        double firstEpoch = 0, lastEpoch = 0;
        for (int s = 0; s < rows.size(); s++) {
            firstEpoch += fp32[s];
            lastEpoch += fp32[steps - rows.size() + s];
        }
        System.out.printf("8-bit AdamW vs fp32 over %d LoRA steps: mean relative loss gap %.4f, worst %.4f; fp32 epoch loss %.4f → %.4f%n",
                steps, gap, worst, firstEpoch / rows.size(), lastEpoch / rows.size());
        assertThat(lastEpoch).as("the run learns").isLessThan(0.97 * firstEpoch);
        assertThat(gap).isLessThan(0.01);
        assertThat(worst).isLessThan(0.03);
    }
}
