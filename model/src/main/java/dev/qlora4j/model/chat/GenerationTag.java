package dev.qlora4j.model.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;

/**
 * {@code {% generation %}...{% endgeneration %}}, transformers' marker of assistant text for
 * return_assistant_tokens_mask. Rendering is unaffected: the body is output in its own scope, as
 * jinja2 renders it through a caller block.
 */
final class GenerationTag implements Tag {
    @Override
    public String getName() {
        return "generation";
    }

    @Override
    public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
        StringBuilder sb = new StringBuilder();
        try (var scope = interpreter.enterScope()) {
            for (Node child : tagNode.getChildren()) sb.append(child.render(interpreter).getValue());
        }
        return sb.toString();
    }
}
