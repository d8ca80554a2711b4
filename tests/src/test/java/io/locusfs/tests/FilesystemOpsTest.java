package io.locusfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The POSIX operations one by one, through the tools that use them. */
class FilesystemOpsTest extends SharedMountTest {

    @Test
    void utimensKeepsNanoseconds() {
        Shell.ok("touch " + m.at("t") + " && touch -m -d '2021-03-04 05:06:07.123456789' " + m.at("t")
                + " && touch -a -d '2019-01-01 00:00:00.987654321' " + m.at("t"));
        assertEquals("2021-03-04 05:06:07.123456789 +0000|2019-01-01 00:00:00.987654321 +0000",
                Shell.ok("TZ=UTC stat -c '%y|%x' " + m.at("t")).trim());
        m.remount();
        assertEquals("2021-03-04 05:06:07.123456789 +0000", Shell.ok("TZ=UTC stat -c %y " + m.at("t")).trim());
    }

    @Test
    void copyFileRangeCopiesWhatANativeDiskCopiesFromLiveFilesAndSnapshots() throws Exception {
        // The same copy_file_range(2) calls on a native directory and on the mount: unaligned
        // offsets across blocks, a copy cut short by the source's end, into a hole past the
        // target's end, from a snapshot's file; then cp (which uses it) of a whole file.
        java.nio.file.Path script = m.root.resolve("cfr.py");
        java.nio.file.Files.writeString(script, """
                import os, sys
                d = sys.argv[1]
                src = os.path.join(d, 'src')
                with open(src, 'wb') as f:
                    f.write(bytes(range(256)) * 20000)          # 5,120,000 bytes
                def copy(source, target, count, off_in, off_out):
                    i = os.open(source, os.O_RDONLY); o = os.open(target, os.O_RDWR | os.O_CREAT, 0o644)
                    n = os.copy_file_range(i, o, count, off_in, off_out)
                    os.close(i); os.close(o)
                    return n
                with open(os.path.join(d, 'dst'), 'wb') as f:
                    f.write(b'x' * 1000)
                print(copy(src, os.path.join(d, 'dst'), 3_000_000, 131_000, 500))
                print(copy(src, os.path.join(d, 'dst'), 1_000_000, 5_000_000, 4_000_000))
                print(copy(src, os.path.join(d, 'dst'), 10, 6_000_000, 0))
                if len(sys.argv) > 2:
                    print(copy(sys.argv[2], os.path.join(d, 'from-snapshot'), 200_000, 7, 3))
                """);
        java.nio.file.Path nat = m.root.resolve("native-cfr");
        Shell.ok("mkdir -p " + nat + " " + m.at("cfr"));
        // The snapshot's copy of the source: the same bytes as the source the native side uses.
        Shell.ok("python3 " + script + " " + m.at("cfr") + " && " + MountedStore.LOCUSFS + " snapshot create " + m.store + " cfr-snap");
        String mounted = Shell.ok("python3 " + script + " " + m.at("cfr") + " " + m.mnt + "/.snapshots/cfr-snap/cfr/src");
        String nativeOut = Shell.ok("python3 " + script + " " + nat + " " + nat + "/src");
        assertEquals(nativeOut, mounted, "bytes copied by each call");
        assertTrue(mounted.startsWith("3000000\n120000\n0\n200000"), mounted);
        for (String f : new String[] {"dst", "from-snapshot"}) {
            assertEquals(Shell.ok("sha256sum < " + nat + "/" + f), Shell.ok("sha256sum < " + m.at("cfr/" + f)), f);
            assertEquals(Shell.ok("stat -c %s " + nat + "/" + f), Shell.ok("stat -c %s " + m.at("cfr/" + f)), f + " size");
        }
        Shell.ok("cp " + m.at("cfr/src") + " " + m.at("cfr/cp-copy"));
        m.remount();
        assertEquals(Shell.ok("sha256sum < " + nat + "/src"), Shell.ok("sha256sum < " + m.at("cfr/cp-copy")));
        assertEquals(Shell.ok("sha256sum < " + nat + "/dst"), Shell.ok("sha256sum < " + m.at("cfr/dst")), "durable after a remount");
    }

    @Test
    void aFileDeletedBeforeTheKernelWroteBackItsTimesDoesNotFailTheNextSync() {
        // The kernel writes back a written file's times later (writeback cache); if the file was
        // deleted meanwhile, that write-back must succeed, as on a native disk, or syncfs fails.
        Shell.Result r = Shell.run("cd " + m.mnt + " && echo one > gone && rm gone && echo two > gone && sync -f gone && cat gone"
                + " && echo a > h1 && echo b > h2 && mv h1 h2 && sync -f h2 && cat h2");
        assertEquals(0, r.exit(), r.err());
        assertEquals("two\na\n", r.out());
    }

    @Test
    void chmodAndChownChangeModeAndOwner() {
        Shell.ok("touch " + m.at("c") + " && chown 123:456 " + m.at("c") + " && chmod 6751 " + m.at("c"));
        assertEquals("6751 123 456", Shell.ok("stat -c '%a %u %g' " + m.at("c")).trim());
        Shell.ok("chown 124 " + m.at("c"));
        // As on Linux, chown clears set-user-ID, and set-group-ID of a group-executable file, even for root.
        assertEquals("751 124 456", Shell.ok("stat -c '%a %u %g' " + m.at("c")).trim());
    }

    @Test
    void statfsReportsTheRealDisk() {
        String[] mount = Shell.ok("stat -f -c '%b %f %a %l' " + m.mnt).trim().split(" ");
        String[] disk = Shell.ok("stat -f -c '%b %S' " + m.store).trim().split(" ");
        long totalBytes = Long.parseLong(mount[0]) * 4096;
        long diskBytes = Long.parseLong(disk[0]) * Long.parseLong(disk[1]);
        assertEquals(diskBytes, totalBytes, 1 << 20, "total size");
        assertTrue(Long.parseLong(mount[1]) > 0 && Long.parseLong(mount[2]) > 0, "free blocks");
        assertEquals("255", mount[3]);
    }

    @Test
    void hardLinksShareDataAndCountLinks() {
        Shell.ok("echo one > " + m.at("h1") + " && ln " + m.at("h1") + " " + m.at("h2") + " && ln " + m.at("h1") + " " + m.at("h3"));
        assertEquals("3", Shell.ok("stat -c %h " + m.at("h2")).trim());
        Shell.ok("echo two >> " + m.at("h3") + " && rm " + m.at("h1"));
        assertEquals("one\ntwo", Shell.ok("cat " + m.at("h2")).trim());
        assertEquals("2", Shell.ok("stat -c %h " + m.at("h2")).trim());
        assertEquals(Shell.ok("stat -c %i " + m.at("h2")), Shell.ok("stat -c %i " + m.at("h3")));
    }

    @Test
    void directoryLinkCountsFollowSubdirectories() {
        Shell.ok("mkdir -p " + m.at("dl/a") + " " + m.at("dl/b") + " " + m.at("dl/c"));
        assertEquals("5", Shell.ok("stat -c %h " + m.at("dl")).trim());
        Shell.ok("mv " + m.at("dl/c") + " " + m.at("dl/a/") + " && rmdir " + m.at("dl/b"));
        assertEquals("3 3", Shell.ok("stat -c %h " + m.at("dl") + " " + m.at("dl/a") + " | xargs").trim());
    }

    @Test
    void symlinksAndReadlink() {
        Shell.ok("echo target > " + m.at("target") + " && ln -s target " + m.at("link") + " && ln -s /etc/hostname " + m.at("abs"));
        assertEquals("target", Shell.ok("readlink " + m.at("link")).trim());
        assertEquals("target", Shell.ok("cat " + m.at("link")).trim());
        assertEquals("/etc/hostname", Shell.ok("readlink " + m.at("abs")).trim());
        assertEquals("symbolic link", Shell.ok("stat -c %F " + m.at("link")).trim());
    }

    @Test
    void renameReplacesExistingTargetsAtomically() {
        Shell.ok("echo old > " + m.at("r-old") + " && echo new > " + m.at("r-new") + " && mv " + m.at("r-new") + " " + m.at("r-old"));
        assertEquals("new", Shell.ok("cat " + m.at("r-old")).trim());
        Shell.ok("mkdir -p " + m.at("rd1/x") + " " + m.at("rd2") + " && echo f > " + m.at("rd1/x/f")
                + " && /usr/bin/python3 -c \"import os; os.rename('" + m.mnt + "/rd1', '" + m.mnt + "/rd2')\"");
        assertEquals("f", Shell.ok("cat " + m.at("rd2/x/f")).trim());
        Shell.ok("test ! -e " + m.at("rd1"));
    }

    @Test
    void truncateAndFtruncateShrinkAndGrowWithZeros() {
        Shell.ok("head -c 300000 /dev/urandom > " + m.at("tr") + " && truncate -s 1000 " + m.at("tr") + " && truncate -s 200000 " + m.at("tr"));
        assertEquals("200000", Shell.ok("stat -c %s " + m.at("tr")).trim());
        Shell.ok("cmp <(tail -c 199000 " + m.at("tr") + ") <(head -c 199000 /dev/zero)");
        Shell.ok("/usr/bin/python3 -c \"import os; fd = os.open('" + m.mnt + "/tr', os.O_RDWR); os.write(fd, b'abc'); "
                + "os.ftruncate(fd, 2); os.fsync(fd); os.fdatasync(fd); os.close(fd)\"");
        assertEquals("ab", Shell.ok("cat " + m.at("tr")));
    }

    @Test
    void fifoCarriesDataBetweenProcesses() {
        Shell.ok("mkfifo " + m.at("fifo"));
        assertEquals("fifo", Shell.ok("stat -c %F " + m.at("fifo")).trim());
        assertEquals("through the pipe", Shell.ok("(echo 'through the pipe' > " + m.at("fifo") + " &) ; cat " + m.at("fifo")).trim());
    }

    @Test
    void userXattrsCanBeSetListedReadAndRemoved() {
        Shell.ok("touch " + m.at("x") + " && setfattr -n user.colour -v blue " + m.at("x")
                + " && setfattr -n user.empty " + m.at("x") + " && setfattr -n user.bin -v 0x00ff10 " + m.at("x"));
        assertEquals("blue", Shell.ok("getfattr --only-values -n user.colour " + m.at("x")));
        String all = Shell.ok("getfattr -d -e hex " + m.at("x"));
        assertTrue(all.contains("user.bin=0x00ff10") && all.contains("user.empty") && all.contains("user.colour="), all);
        Shell.ok("setfattr -x user.colour " + m.at("x"));
        assertTrue(Shell.run("getfattr -n user.colour " + m.at("x")).err().contains("No such attribute"));
        m.remount();
        assertTrue(Shell.ok("getfattr -e hex -n user.bin " + m.at("x")).contains("user.bin=0x00ff10"));
    }

    @Test
    void unlinkedFileStaysReadableThroughAnOpenDescriptor() {
        String script = "import os\np = '" + m.mnt + "/gone'\nf = open(p, 'w+')\nf.write('still here')\nf.flush()\nos.unlink(p)\n"
                + "f.seek(0)\nprint(f.read(), os.path.exists(p))";
        assertEquals("still here False", Shell.ok("/usr/bin/python3 -c " + Shell.quote(script)).trim());
    }

    @Test
    void namesWithAnyByteButSlashAndNulRoundTrip() {
        Shell.ok("cd " + m.mnt + " && touch \"$(printf 'raw\\xff\\xfe\\x01name')\" \"$(printf 'tab\\there')\" 'sp ace' 'Ünïcødé ☃'");
        String listing = Shell.ok("cd " + m.mnt + " && ls | od -An -tx1 | tr -d ' \\n'");
        assertTrue(listing.contains("726177fffe016e616d65"), "raw name bytes missing from " + listing);
        Shell.ok("cd " + m.mnt + " && test -f \"$(printf 'raw\\xff\\xfe\\x01name')\" && test -f 'Ünïcødé ☃' && test -f \"$(printf 'tab\\there')\"");
    }
}
