package dev.qlora4j.train.data;

import dev.qlora4j.model.chat.ChatTemplate;
import dev.qlora4j.model.chat.JinjaTemplate;
import dev.qlora4j.model.tokenizer.Tokenizer;

import java.util.List;
import java.util.Map;

/**
 * Which tokens of a rendered conversation the assistant wrote.
 *
 * <p>A template with {@code {% generation %}} blocks (TRL's training templates) says so itself: the
 * tokens that overlap what those blocks wrote, as transformers' {@code return_assistant_tokens_mask}
 * marks them, are learned.
 *
 * <p>Any other template is read without knowing its markup: for each assistant message i, the
 * conversation up to it is rendered with the generation prompt (where the model starts writing) and up
 * to and including it (where its turn ends). Where those renderings are prefixes of the whole
 * conversation, the text between them is the assistant's: its content and whatever closes the turn
 * ({@code <|eot_id|>}, {@code <end_of_turn>\n}, {@code <|im_end|>\n}), which the model must learn to emit;
 * the role header before it is prompt. Where the template renders a turn differently once later turns
 * follow (Qwen3 drops the empty think block of earlier turns, Phi-3 ends a conversation with
 * {@code <|endoftext|>} where later turns would be), the boundary is taken from the whole rendering
 * itself: the end of the loop iteration that rendered message i, or for the start, that iteration's
 * start past the generation prompt's text. This is what TRL's generation-tagged training templates
 * mark for these families, for any template that renders each message in one iteration of a loop over
 * {@code messages}.
 *
 * <p>Only assistant messages are learned: their content and their tool calls (an assistant message
 * with {@code tool_calls} is an assistant turn like any other); tool results (role {@code tool}),
 * whatever markup the template gives them, are prompt, as are system and user turns.
 *
 * <p>A boundary at character x falls after the tokens that the text before x shares with the whole
 * conversation's tokens, so a token that the tokenizer merges across a boundary is assigned to the
 * later turn.
 */
final class AssistantSpans {
    private AssistantSpans() {}

    /** The tokens of the rendered conversation and, per token, whether an assistant turn wrote it. */
    record Masked(int[] ids, boolean[] assistant) {}

    /** A template whose turns can be located neither by prefixes nor in its own rendering. */
    static final class Unlocatable extends Exception {
        Unlocatable(String why) {
            super(why, null, false, false);
        }
    }

    /** @param variables the template's further variables (tools, chat_template_kwargs), the same for every rendering */
    static Masked find(List<Map<String, Object>> messages, Map<String, ?> variables, ChatTemplate template, Tokenizer tokenizer)
            throws Unlocatable {
        JinjaTemplate.Rendered full = template.renderWithSpans(messages, false, variables);
        String text = full.text();
        int[] ids = tokenizer.encode(text, false).ids();
        boolean[] assistant = new boolean[ids.length];
        if (!full.generationSpans().isEmpty()) {
            // transformers: from the token holding the span's first character to the one holding its last
            for (int[] s : full.generationSpans()) {
                if (s[1] <= s[0]) continue;
                // the text before the end shares `end` tokens with the whole; tokens of its own beyond those mean
                // that the whole's next token holds characters of the span too
                int[] before = s[1] >= text.length() ? ids : tokenizer.encode(text.substring(0, s[1]), false).ids();
                int end = commonPrefix(before, ids);
                if (before.length > end) end++;
                mark(assistant, tokensBefore(text, s[0], ids, tokenizer), Math.min(end, ids.length));
            }
            return new Masked(ids, assistant);
        }
        for (int i = 0; i < messages.size(); i++) {
            if (!"assistant".equals(messages.get(i).get("role"))) continue;
            String prompt = template.renderMessages(messages.subList(0, i), true, variables);
            int lo;
            if (text.startsWith(prompt)) {
                lo = prompt.length();
            } else {
                int[] span = iteration(full, i);
                String header = prompt.substring(Math.min(prompt.length(),
                        commonPrefix(prompt, template.renderMessages(messages.subList(0, i), false, variables))));
                lo = span[0] + commonPrefix(text.substring(span[0], span[1]), header);
            }
            String through = template.renderMessages(messages.subList(0, i + 1), false, variables);
            int hi = text.startsWith(through) ? through.length() : iteration(full, i)[1];
            if (hi > lo) mark(assistant, tokensBefore(text, lo, ids, tokenizer), tokensBefore(text, hi, ids, tokenizer));
        }
        return new Masked(ids, assistant);
    }

    private static int[] iteration(JinjaTemplate.Rendered full, int i) throws Unlocatable {
        int[] span = full.messageSpans().get(i);
        if (span == null)
            throw new Unlocatable("the chat template renders message " + (i + 1) + " differently once later messages follow, "
                    + "and not in one iteration of a loop over messages, so the assistant's tokens cannot be located "
                    + "(a template with {% generation %} blocks says where they are)");
        return span;
    }

    private static void mark(boolean[] assistant, int from, int to) {
        for (int t = from; t < to; t++) assistant[t] = true;
    }

    /** How many of the whole conversation's tokens lie wholly before character x. */
    private static int tokensBefore(String text, int x, int[] ids, Tokenizer tokenizer) {
        return x >= text.length() ? ids.length : commonPrefix(tokenizer.encode(text.substring(0, x), false).ids(), ids);
    }

    private static int commonPrefix(int[] a, int[] b) {
        int n = Math.min(a.length, b.length), i = 0;
        while (i < n && a[i] == b[i]) i++;
        return i;
    }

    private static int commonPrefix(String a, String b) {
        int n = Math.min(a.length(), b.length()), i = 0;
        while (i < n && a.charAt(i) == b.charAt(i)) i++;
        return i;
    }
}
