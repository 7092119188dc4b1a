package dev.qlora4j.model.generate;

import java.util.Arrays;

/**
 * @param ids            the prompt followed by the generated tokens (an end token included, as transformers returns it)
 * @param promptLength   how many of {@code ids} are the prompt
 * @param stoppedAtEos   generation ended on an end-of-sequence token rather than the token budget
 * @param reusedPositions prompt positions whose keys and values came from the cache of an earlier call
 */
public record GenerationResult(int[] ids, int promptLength, boolean stoppedAtEos, int reusedPositions) {
    /** The generated tokens only. */
    public int[] newIds() {
        return Arrays.copyOfRange(ids, promptLength, ids.length);
    }
}
