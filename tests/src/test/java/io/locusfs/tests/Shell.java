package io.locusfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Runs real commands with bash, as users do, and captures what they print. */
final class Shell {
    private Shell() {
    }

    /** What a command did. */
    record Result(int exit, String out, String err) {
        Result ok() {
            assertEquals(0, exit, () -> "command failed with exit " + exit + "\nstdout: " + out + "\nstderr: " + err);
            return this;
        }
    }

    /** Runs {@code script} with bash -c, failing the test if it takes longer than {@code seconds}. */
    static Result run(long seconds, String script) {
        try {
            Path out = Files.createTempFile("locusfs-out", ".txt");
            Path err = Files.createTempFile("locusfs-err", ".txt");
            try {
                Process p = new ProcessBuilder("bash", "-c", script)
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                        .redirectOutput(out.toFile())
                        .redirectError(err.toFile())
                        .start();
                if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    throw new AssertionError("timed out after " + seconds + " s: " + script + "\nstderr so far: "
                            + Files.readString(err, StandardCharsets.ISO_8859_1));
                }
                return new Result(p.exitValue(), Files.readString(out, StandardCharsets.ISO_8859_1),
                        Files.readString(err, StandardCharsets.ISO_8859_1));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run " + script, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Runs {@code script} with a two-minute limit. */
    static Result run(String script) {
        return run(120, script);
    }

    /** Runs {@code script} and fails the test unless it exits 0; returns its standard output. */
    static String ok(String script) {
        return run(script).ok().out();
    }

    /** Runs {@code script} as the unprivileged user nobody:nogroup. */
    static Result asNobody(String script) {
        return run("setpriv --reuid=65534 --regid=65534 --clear-groups bash -c " + quote(script));
    }

    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
