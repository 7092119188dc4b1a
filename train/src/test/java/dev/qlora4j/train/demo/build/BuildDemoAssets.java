package dev.qlora4j.train.demo.build;

import dev.qlora4j.model.chat.ChatTemplate;
import dev.qlora4j.model.nn.Transformer;
import dev.qlora4j.model.tokenizer.Tokenizer;
import dev.qlora4j.tensor.Generator;
import dev.qlora4j.train.data.Example;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Rebuilds what the demo ships in {@code train/src/main/resources/demo/}: the Socratic dialogue
 * set ({@code data/}) and the small base model ({@code model/}: a byte-level BPE tokenizer
 * learned on the pretraining corpus, then a Llama pretrained from scratch on that corpus with
 * this project's engine). Run from the repository root after {@code ./mvnw -q -DskipTests package}
 * (which compiles the test classes too):
 * <pre>
 * java --add-modules jdk.incubator.vector -cp train/target/test-classes:train/target/train.jar \
 *     dev.qlora4j.train.demo.build.BuildDemoAssets [--data-only] [--steps N]
 * </pre>
 * Everything is seeded; the data files and the tokenizer come out byte-identical on every run
 * (a test checks that), the weights depend on floating-point summation order only.
 */
public final class BuildDemoAssets {
    static final Path DEMO = Path.of("train", "src", "main", "resources", "demo");
    static final long SEED = 20261125L;
    static final int CORPUS_DOCUMENTS = 8000, VOCAB = 1530;
    static final BaseModelFolder.Shape SHAPE = new BaseModelFolder.Shape(192, 4, 6, 2, 512, VOCAB + TokenizerFiles.SPECIALS.size());

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        int steps = 1500;
        boolean dataOnly = false;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--data-only")) dataOnly = true;
            else if (args[i].equals("--steps")) steps = Integer.parseInt(args[++i]);
            else throw new IllegalArgumentException("unknown argument " + args[i]);
        }
        List<SocraticDataset.Dialogue> dialogues = SocraticDataset.build(SEED);
        SocraticDataset.write(dialogues, DEMO.resolve("data"));
        out.printf("Socratic set: %d dialogues (%d held out) → %s%n", dialogues.size(),
                dialogues.stream().filter(SocraticDataset.Dialogue::held).count(), DEMO.resolve("data"));

        List<GenericCorpus.Doc> corpus = GenericCorpus.build(SEED, CORPUS_DOCUMENTS);
        Path modelDir = DEMO.resolve("model");
        ByteLevelBpeTrainer.Vocabulary vocab = ByteLevelBpeTrainer.train(corpusTexts(corpus), VOCAB);
        TokenizerFiles.write(vocab, TokenizerFiles.FIXTURE, modelDir);
        out.printf("tokenizer: %d tokens (%d merges) + %d specials%n", vocab.tokens().size(), vocab.merges().size(),
                TokenizerFiles.SPECIALS.size());
        if (dataOnly) return;
        pretrain(corpus, vocab, modelDir, steps, out);
    }

    /** Every piece of text in the corpus, as the tokenizer is trained on it. */
    static List<String> corpusTexts(List<GenericCorpus.Doc> corpus) {
        List<String> texts = new ArrayList<>();
        for (GenericCorpus.Doc d : corpus) {
            if (d.text() != null) texts.add(d.text());
            else for (Map<String, String> m : d.messages()) texts.add(m.get("content"));
        }
        return texts;
    }

    private static void pretrain(List<GenericCorpus.Doc> corpus, ByteLevelBpeTrainer.Vocabulary vocab, Path modelDir, int steps,
                                 PrintStream out) throws Exception {
        int bos = TokenizerFiles.specialId(vocab, "<|begin_of_text|>"), eot = TokenizerFiles.specialId(vocab, "<|eot_id|>");
        int end = TokenizerFiles.specialId(vocab, "<|end_of_text|>"), pad = TokenizerFiles.specialId(vocab, "<|pad|>");
        BaseModelFolder.writeConfigs(modelDir, SHAPE, bos, eot, end, pad);
        BaseModelFolder.writeInitialWeights(modelDir, SHAPE, new Generator(SEED));
        Tokenizer tokenizer = Tokenizer.load(modelDir);
        ChatTemplate template = ChatTemplate.load(modelDir);
        List<int[]> docs = new ArrayList<>();
        for (GenericCorpus.Doc d : corpus) {
            if (d.text() != null) {
                int[] ids = tokenizer.encode(d.text(), true).ids();
                int[] withEnd = java.util.Arrays.copyOf(ids, ids.length + 1);
                withEnd[ids.length] = end;
                docs.add(withEnd);
            } else {
                List<Map<String, Object>> messages = new ArrayList<>();
                for (Map<String, String> m : d.messages()) messages.add(new java.util.LinkedHashMap<>(m));
                docs.add(tokenizer.encode(template.renderMessages(messages, false), false).ids());
            }
        }
        long tokenCount = docs.stream().mapToLong(a -> a.length).sum();
        int evalDocs = docs.size() / 50;
        List<Example> eval = Pretraining.pack(docs.subList(0, evalDocs), 256);
        List<Example> train = Pretraining.pack(docs.subList(evalDocs, docs.size()), 256);
        out.printf(Locale.ROOT, "corpus: %d documents, %d tokens; %d training rows, %d evaluation rows of up to 256 tokens%n",
                docs.size(), tokenCount, train.size(), eval.size());
        Pretraining.Settings settings = new Pretraining.Settings(steps, 16, 256, 3e-3, 0.05, 0.01, SEED);
        Pretraining.Result r;
        try (Transformer model = Transformer.load(modelDir, true)) {
            long params = model.trainableParameters().stream().mapToLong(t -> t.numel()).sum();
            out.printf(Locale.ROOT, "model: %,d parameters%n", params);
            r = Pretraining.run(model, train, eval, pad, settings, out);
            BaseModelFolder.writeTrainedWeights(modelDir, model);
        }
        double bf16Eval;
        try (Transformer saved = Transformer.load(modelDir)) {
            bf16Eval = Pretraining.evalLoss(saved, eval, dev.qlora4j.train.data.Collator.causal(pad, 8));
        }
        out.printf(Locale.ROOT, "pretraining: %d steps, first loss %.4f, last 50 steps %.4f, held-out loss %.4f (bf16 weights: %.4f), "
                + "%,d tokens in %.0f s%n", steps, r.firstLoss(), r.finalTrainLoss(), r.evalLoss(), bf16Eval, r.tokensSeen(), r.seconds());
    }
}
