package io.locusfs.translate;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Runs a system tool (mke2fs, e2fsck, mount, mkfifo) and reports its status and output. */
final class ExternalCommand {
    private ExternalCommand() {
    }

    /** What a tool said: its exit status and its output (stdout and stderr together), trimmed. */
    record Result(int status, String output) {
        String lastLine() {
            String[] lines = output.split("\n");
            return lines[lines.length - 1];
        }
    }

    static Result exec(List<String> command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        try {
            return new Result(process.waitFor(), output);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + command.get(0), e);
        }
    }

    /**
     * Runs {@code command}.
     *
     * @throws TranslationException with the tool's last line of output when it fails
     */
    static void run(String... command) throws IOException {
        Result result = exec(List.of(command));
        if (result.status() != 0) {
            throw new TranslationException(String.join(" ", command) + " failed: " + result.lastLine());
        }
    }
}
