package dev.qlora4j.model.config;

import java.util.List;

/**
 * Token ids config.json or generation_config.json declares.
 *
 * @param bos the beginning-of-sequence id, or null
 * @param eos the end-of-sequence ids (eos_token_id may be one id or a list; generation stops at any); may be empty
 * @param pad the padding id, or null
 */
public record SpecialTokenIds(Integer bos, List<Integer> eos, Integer pad) {
    public SpecialTokenIds {
        eos = List.copyOf(eos);
    }
}
