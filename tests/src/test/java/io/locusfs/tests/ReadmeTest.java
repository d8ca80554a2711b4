package io.locusfs.tests;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The README's tour runs as written. Its code blocks are run in order in a fresh directory where a
 * store was made and mounted as {@code make run} does ({@code var/store} at {@code mnt}):
 * every command of an {@code sh} block must succeed; a {@code console} block's {@code $} commands
 * may fail (some show a refusal), and every line they are shown printing must appear in what they
 * printed, in order ({@code …} stands for anything). The set-up block ({@code make}) is left out.
 */
class ReadmeTest {
    private static final String ELLIPSIS = "…";

    @Test
    void theToursExamplesRunAsWrittenAndPrintWhatTheReadmeShows() throws IOException {
        List<String> readme = Files.readAllLines(MountedStore.HOME.resolve("README.md"));
        StringBuilder script = new StringBuilder();
        List<String> expected = new ArrayList<>();
        int start = readme.indexOf("## A tour");
        int end = readme.indexOf("## Commands");
        String kind = null;
        for (int i = start; i < end; i++) {
            String line = readme.get(i);
            if (kind == null && line.startsWith("```")) {
                kind = line.substring(3).trim();
                script.append(kind.equals("sh") ? "set -e\n" : "set +e\n");
            } else if (kind != null && line.equals("```")) {
                kind = null;
            } else if ("sh".equals(kind)) {
                script.append(line).append('\n');
            } else if ("console".equals(kind)) {
                if (line.startsWith("$ ")) {
                    script.append("{ ").append(line.substring(2)).append("\n} 2>&1\n"); // the line may end in a comment
                } else {
                    expected.add(line);
                }
            }
        }
        Path work = Files.createTempDirectory("locusfs-readme");
        String prelude = "cd " + work + " && export PATH=" + MountedStore.HOME.resolve("packaging/bin") + ":$PATH\n"
                + "mkdir mnt && locusfs init var/store --location local/dev >/dev/null && locusfs mount var/store mnt >/dev/null\n"
                // As in a checkout: the tour starts an object store with the tests' script.
                + "mkdir tests && ln -s " + MountedStore.HOME.resolve("tests/ceph") + " tests/ceph\n"
                // Every failing command is named; with set -e the last is the one that stopped the tour, and it
                // comes first in the failure (CI shows only the start of a long message).
                + "trap 'echo \"tour command failed, exit $?: $BASH_COMMAND\" >&2' ERR\n";
        // The tour leaves a mirror running in the background: every process started in the directory goes.
        String cleanup = "cd /; mountpoint -q " + work + "/mnt && " + MountedStore.LOCUSFS + " umount " + work + "/mnt;"
                + " " + MountedStore.HOME.resolve("tests/ceph/down.sh") + " " + work + "/var/ceph;"
                + " for p in /proc/[0-9]*; do [ \"$(readlink $p/cwd)\" = " + work + " ] && kill ${p#/proc/}; done;"
                + " sleep 1; rm -rf " + work;
        Shell.Result result;
        try {
            result = Shell.run(300, prelude + script);
        } finally {
            Shell.run(120, cleanup);
        }
        if (result.exit() != 0) {
            String err = result.err();
            fail(err.substring(Math.max(0, err.lastIndexOf("tour command failed"))) + "\nits error output:\n" + err
                    + "\nit printed:\n" + result.out());
        }
        String[] printed = result.out().split("\n");
        int at = 0;
        for (String line : expected) {
            int found = -1;
            for (int j = at; j < printed.length && found < 0; j++) {
                if (matches(line, printed[j])) {
                    found = j;
                }
            }
            if (found < 0) {
                fail("the README shows\n  " + line + "\nbut the tour printed (from line " + at + "):\n" + result.out());
            }
            at = found + 1;
        }
    }

    /** A shown line matches a printed one when its pieces between ellipses appear there, in order. */
    private static boolean matches(String shown, String printed) {
        String line = printed.replaceAll("\\s+", " ");
        int from = 0;
        for (String piece : shown.strip().replaceAll("\\s+", " ").split(ELLIPSIS, -1)) {
            int found = line.indexOf(piece.strip(), from);
            if (found < 0) {
                return false;
            }
            from = found + piece.strip().length();
        }
        return true;
    }
}
