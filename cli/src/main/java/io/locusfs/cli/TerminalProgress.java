package io.locusfs.cli;

import io.locusfs.tree.Progress;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A progress line on the terminal, redrawn at most four times a second: files, bytes, percent,
 * rate and time left. Silent when standard error is not a terminal (or when asked), so logs and
 * pipes stay clean.
 */
final class TerminalProgress implements Progress, AutoCloseable {
    private static final long REDRAW_NANOS = 250_000_000L;

    private final PrintStream out = System.err;
    private final boolean shown;
    private String verb;
    private long totalFiles;
    private long totalBytes;
    private long start = System.nanoTime();
    private long files;
    private long bytes;
    private long lastDrawn;

    /** A progress line for {@code verb} ("exporting") out of the totals; a total of 0 or less is unknown. */
    TerminalProgress(String verb, long totalFiles, long totalBytes, boolean quiet) {
        this(verb, totalFiles, totalBytes, quiet, System.console() != null);
    }

    /** As above, shown when {@code terminal} (for commands whose standard output is data, not a terminal). */
    TerminalProgress(String verb, long totalFiles, long totalBytes, boolean quiet, boolean terminal) {
        this.verb = verb;
        this.totalFiles = totalFiles;
        this.totalBytes = totalBytes;
        this.shown = !quiet && terminal;
    }

    /** True when standard error is a terminal (System.console() needs standard input and output to be one). */
    static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    @Override
    public void total(long files, long bytes) {
        totalFiles = files;
        totalBytes = bytes;
    }

    /** Starts the line over for the job's next stage ("writing"), with its totals. */
    void restart(String nextVerb, long files, long bytes) {
        close();
        verb = nextVerb;
        total(files, bytes);
        this.files = 0;
        this.bytes = 0;
        start = System.nanoTime();
        lastDrawn = 0;
    }

    @Override
    public void advance(long moreFiles, long moreBytes) {
        files += moreFiles;
        bytes += moreBytes;
        long now = System.nanoTime();
        if (shown && now - lastDrawn >= REDRAW_NANOS) {
            lastDrawn = now;
            draw(now);
        }
    }

    private void draw(long now) {
        double seconds = Math.max(1e-3, (now - start) / 1e9);
        double rate = bytes / seconds;
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "\r%s: %,d%s files, %s%s", verb, files,
                totalFiles > 0 ? "/" + String.format(Locale.ROOT, "%,d", totalFiles) : "",
                SnapshotCommand.human(bytes), totalBytes > 0 ? "/" + SnapshotCommand.human(totalBytes) : ""));
        if (totalBytes > 0) {
            line.append(String.format(Locale.ROOT, " %3d%%", Math.min(100, bytes * 100 / totalBytes)));
        }
        line.append(", ").append(SnapshotCommand.human((long) rate)).append("/s");
        if (totalBytes > 0 && rate > 0) {
            long left = (long) ((totalBytes - bytes) / rate);
            line.append(String.format(Locale.ROOT, ", %d:%02d left", left / 60, left % 60));
        }
        out.print(line.append("   "));
        out.flush();
    }

    /** Clears the line, so what the command prints next starts clean. */
    @Override
    public void close() {
        if (shown && lastDrawn != 0) {
            out.print("\r" + " ".repeat(100) + "\r");
            out.flush();
        }
    }
}
