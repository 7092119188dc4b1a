package dev.qlora4j.train.demo.build;

import java.util.List;

/**
 * Plain facts of one language for the base model's pretraining corpus: question and direct
 * answer pairs, and statements. Nothing here questions the asker back: that style is what the
 * demo's LoRA run has to teach.
 */
record GenericFacts(List<Qa> pairs, List<String> statements, List<String> greetings, List<String> thanks) {
    record Qa(String question, String answer) {}

    static Qa qa(String question, String answer) {
        return new Qa(question, answer);
    }
}
