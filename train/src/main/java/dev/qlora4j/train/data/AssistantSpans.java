package dev.qlora4j.train.data;

import dev.qlora4j.model.chat.ChatTemplate;
import dev.qlora4j.model.tokenizer.Tokenizer;

import java.util.List;
import java.util.Map;

/**
 * Which tokens of a rendered conversation the assistant wrote, found without knowing the
 * template's markup: for each assistant message i, the conversation up to it is rendered with
 * the generation prompt (where the model starts writing) and up to and including it (where its
 * turn ends); both are tokenized and compared with the tokens of the whole conversation. The span
 * between is the assistant's: its content and whatever closes the turn ({@code <|eot_id|>},
 * {@code <end_of_turn>\n}, {@code <|im_end|>\n}), which the model must learn to emit; the role
 * header before it is prompt. This is what TRL's {@code {% generation %}}-tagged training
 * templates mark for Llama-3 and Gemma, for any template that renders conversations prefix by
 * prefix.
 *
 * <p>Only assistant messages are learned: their content and their tool calls (an assistant message
 * with {@code tool_calls} is an assistant turn like any other); tool results (role {@code tool}),
 * whatever markup the template gives them, are prompt, as are system and user turns.
 *
 * <p>Both boundaries are the longest common token prefix with the whole conversation, so a token
 * that the tokenizer merges across a boundary is assigned to the later turn.
 */
final class AssistantSpans {
    private AssistantSpans() {}

    /** The tokens of the rendered conversation and, per token, whether an assistant turn wrote it. */
    record Masked(int[] ids, boolean[] assistant) {}

    /** A template whose rendering of the first turns changes once later turns follow. */
    static final class NotPrefixPreserving extends Exception {
        NotPrefixPreserving(String why) {
            super(why, null, false, false);
        }
    }

    /** @param variables the template's further variables (tools, chat_template_kwargs), the same for every rendering */
    static Masked find(List<Map<String, Object>> messages, Map<String, ?> variables, ChatTemplate template, Tokenizer tokenizer)
            throws NotPrefixPreserving {
        String full = template.renderMessages(messages, false, variables);
        int[] ids = tokenizer.encode(full, false).ids();
        boolean[] assistant = new boolean[ids.length];
        for (int i = 0; i < messages.size(); i++) {
            if (!"assistant".equals(messages.get(i).get("role"))) continue;
            String through = template.renderMessages(messages.subList(0, i + 1), false, variables);
            if (!full.startsWith(through))
                throw new NotPrefixPreserving("the chat template renders messages 1.." + (i + 1)
                        + " differently once later messages follow, so the assistant's tokens cannot be located");
            String prompt = template.renderMessages(messages.subList(0, i), true, variables);
            int start = commonPrefix(tokenizer.encode(prompt, false).ids(), ids);
            int end = commonPrefix(tokenizer.encode(through, false).ids(), ids);
            for (int t = start; t < end; t++) assistant[t] = true;
        }
        return new Masked(ids, assistant);
    }

    private static int commonPrefix(int[] a, int[] b) {
        int n = Math.min(a.length, b.length), i = 0;
        while (i < n && a[i] == b[i]) i++;
        return i;
    }
}
