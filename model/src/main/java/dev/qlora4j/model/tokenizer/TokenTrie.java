package dev.qlora4j.model.tokenizer;

import java.util.HashMap;
import java.util.Map;

/**
 * A character trie over the added tokens' strings, answering "which token is the longest one
 * that starts here" (leftmost-longest matching is then a left-to-right scan). A table of first
 * characters makes the common case, no token starting at this position, one array read.
 */
final class TokenTrie {
    private static final class Node {
        final Map<Character, Node> children = new HashMap<>(4);
        int id = -1;
    }

    private final Node root = new Node();
    private final boolean[] firstChar = new boolean[0x10000];
    private boolean empty = true;

    void add(String token, int id) {
        if (token.isEmpty()) {
            return;
        }
        Node node = root;
        for (int i = 0; i < token.length(); i++) {
            node = node.children.computeIfAbsent(token.charAt(i), c -> new Node());
        }
        node.id = id;
        firstChar[token.charAt(0)] = true;
        empty = false;
    }

    boolean isEmpty() {
        return empty;
    }

    /** (id &lt;&lt; 32 | end) of the longest token starting at {@code start}, or -1. */
    long longestMatch(String s, int start) {
        if (!firstChar[s.charAt(start)]) {
            return -1;
        }
        Node node = root;
        long best = -1;
        for (int i = start; i < s.length(); i++) {
            node = node.children.get(s.charAt(i));
            if (node == null) {
                break;
            }
            if (node.id >= 0) {
                best = ((long) node.id << 32) | (i + 1);
            }
        }
        return best;
    }
}
