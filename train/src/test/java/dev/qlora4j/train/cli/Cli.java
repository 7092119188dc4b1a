package dev.qlora4j.train.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Runs the command line in-process and captures what it printed. */
final class Cli {
    private Cli() {}

    static final ObjectMapper JSON = new ObjectMapper();

    record Run(int status, String out, String err) {
        String lastLine() {
            String[] lines = out.strip().split("\n");
            return lines[lines.length - 1];
        }

        /** Every stdout line as JSON (for --json runs whose result is one object a line). */
        List<JsonNode> jsonLines() throws IOException {
            List<JsonNode> nodes = new ArrayList<>();
            for (String line : out.strip().split("\n")) nodes.add(JSON.readTree(line));
            return nodes;
        }

        JsonNode json() throws IOException {
            return JSON.readTree(lastLine());
        }
    }

    static Run run(String... args) {
        return runWithInput("", args);
    }

    /** Runs with {@code stdin} as standard input. */
    static Run runWithInput(String stdin, String... args) {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        var in = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
        int status = Main.run(args, in, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
