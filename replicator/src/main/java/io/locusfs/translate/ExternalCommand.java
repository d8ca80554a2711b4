package io.locusfs.translate;

import java.io.IOException;
import java.nio.charset.Charset;
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
        Process process = new ProcessBuilder(command.stream().map(ExternalCommand::argument).toList())
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        try {
            return new Result(process.waitFor(), output);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + command.get(0), e);
        }
    }

    /**
     * An argument as the JDK will pass it: it encodes arguments with the default charset, while
     * paths were decoded with the file-name charset (the launcher sets ISO-8859-1 and UTF-8), so
     * a path with non-ASCII letters needs its file-name bytes carried over unchanged.
     */
    private static String argument(String text) {
        Charset names = Charset.forName(System.getProperty("sun.jnu.encoding", Charset.defaultCharset().name()));
        return new String(text.getBytes(names), Charset.defaultCharset());
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
