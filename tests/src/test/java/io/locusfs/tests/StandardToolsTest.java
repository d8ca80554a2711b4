package io.locusfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Everyday tools on a real tree of thousands of files: cp -a, tar, rsync, git. */
class StandardToolsTest extends SharedMountTest {
    private Path source;

    /** What a user expects a copy to keep: type, mode, owner, group, link count, mtime (ns), size, link target. */
    private static String metadata(Path dir) {
        return Shell.ok("cd " + Shell.quote(dir.toString())
                + " && find . -mindepth 1 -printf '%P %y %m %U %G %n %T@ %l\\n' | grep -v '^\\S* d' | sort"
                + " && find . -mindepth 1 -type d -printf '%P %m %U %G %n\\n' | sort"
                + " && find . -type f -printf '%P %s\\n' | sort");
    }

    @BeforeAll
    void createSourceTree() throws Exception {
        source = Files.createTempDirectory("locusfs-src");
        // A real tree: the system's documentation and C headers, thousands of files with symlinks.
        Shell.ok("cp -a /usr/share/doc " + source + "/doc && cp -a /usr/include " + source + "/include");
        // What real trees also hold: hard links, odd modes and owners, nanosecond times, xattrs, odd names.
        Shell.ok("cd " + source + " && mkdir extras && cd extras"
                + " && echo data > a && ln a hard1 && ln a hard2"
                + " && echo secret > private && chmod 600 private && chown 1234:5678 private"
                + " && mkdir -m 2750 shared && chgrp 5678 shared && echo x > shared/f"
                + " && touch -d '2001-02-03 04:05:06.123456789' private"
                + " && ln -s ../extras/a relative-link && ln -s /nonexistent dangling"
                + " && printf 'caf\\xc3\\xa9' > \"$(printf 'caf\\xc3\\xa9 \\xe2\\x98\\x83')\""
                + " && head -c 300000 /dev/urandom > big && setfattr -n user.tag -v blue big");
        int files = Integer.parseInt(Shell.ok("find " + source + " -type f | wc -l").trim());
        assertTrue(files > 1000, "the source tree should hold thousands of files, has " + files);
    }

    @AfterAll
    void removeSourceTree() {
        Shell.run("rm -rf " + source);
    }

    @Test
    void cpArchiveOfRealTreeIsIdenticalInContentAndMetadata() {
        Shell.ok("cp -a " + source + " " + m.at("cp"));
        Shell.ok("diff -r --no-dereference " + source + " " + m.at("cp"));
        assertEquals(metadata(source), metadata(m.mnt.resolve("cp")));
        assertEquals("user.tag=\"blue\"", Shell.ok("getfattr -d --absolute-names " + m.at("cp/extras/big") + " | grep user.tag").trim());
    }

    @Test
    void tarRoundTripKeepsModesTimesOwnersSymlinksAndHardLinks() throws Exception {
        // The POSIX (pax) format keeps nanosecond times; GNU tar's default keeps whole seconds.
        Shell.ok("mkdir " + m.at("tarx") + " && tar --format=posix -C " + source + " -cf - . | tar -C " + m.at("tarx") + " -xpf -");
        assertEquals(metadata(source), metadata(m.mnt.resolve("tarx")));
        Path back = Files.createTempDirectory("locusfs-tarback");
        try {
            Shell.ok("tar --format=posix -C " + m.at("tarx") + " -cf - . | tar -C " + back + " -xpf -");
            assertEquals(metadata(source), metadata(back));
            Shell.ok("diff -r --no-dereference " + source + " " + back);
        } finally {
            Shell.run("rm -rf " + back);
        }
    }

    @Test
    void rsyncFindsNothingToDoAfterCopyingIn() {
        Shell.ok("rsync -aH " + source + "/ " + m.at("rs") + "/");
        String changes = Shell.ok("rsync -aHn --itemize-changes " + source + "/ " + m.at("rs") + "/");
        assertEquals("", changes.trim(), "rsync wants to change:\n" + changes);
    }

    @Test
    void gitInitAddCommitLogAndCheckoutWorkInsideTheMount() {
        String repo = m.at("repo");
        String git = "git -C " + repo + " -c user.name=t -c user.email=t@example.org ";
        Shell.ok("mkdir " + repo + " && git init -q -b main " + repo);
        Shell.ok("cp -a /usr/include/linux " + repo + "/ && " + git + "add -A && " + git + "commit -qm first");
        Shell.ok("echo change >> " + repo + "/linux/fs.h && " + git + "commit -qam second");
        assertEquals("second\nfirst", Shell.ok(git + "log --format=%s").trim());
        Shell.ok(git + "checkout -q HEAD~1");
        Shell.ok("cmp /usr/include/linux/fs.h " + repo + "/linux/fs.h");
        Shell.ok(git + "checkout -q main && " + git + "fsck --no-progress");
        assertEquals("change", Shell.ok("tail -1 " + repo + "/linux/fs.h").trim());
    }
}
