package dev.qlora4j.model.config;

import java.util.Map;
import java.util.SortedMap;

/**
 * The {@code score} head of a *ForSequenceClassification checkpoint.
 *
 * @param numLabels   outputs of the head: the size of id2label when present, else num_labels (default 2)
 * @param id2label    label names by index ("LABEL_i" when config.json has none)
 * @param label2id    the inverse map (config.json's when present)
 * @param problemType "regression", "single_label_classification", "multi_label_classification", or null
 *                    (transformers then picks regression for one label, single-label otherwise)
 */
public record ClassificationHead(int numLabels, SortedMap<Integer, String> id2label, Map<String, Integer> label2id,
                                 String problemType) {
}
