package io.locusfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mode bits, owners, groups, sticky and setgid directories, for a non-root caller (nobody). */
class PermissionsTest extends SharedMountTest {

    @Test
    void nonRootUserCannotWriteIntoRootsDirectoryButCanInOwnOne() {
        Shell.ok("mkdir " + m.at("rootdir") + " " + m.at("nobodydir") + " && chown nobody:nogroup " + m.at("nobodydir"));
        Shell.Result refused = Shell.asNobody("touch " + m.at("rootdir/x"));
        assertNotEquals(0, refused.exit());
        assertTrue(refused.err().contains("Permission denied"), refused.err());
        Shell.asNobody("echo mine > " + m.at("nobodydir/x") + " && cat " + m.at("nobodydir/x")).ok();
        assertEquals("65534 65534", Shell.ok("stat -c '%u %g' " + m.at("nobodydir/x")).trim());
    }

    @Test
    void privateFileIsUnreadableToOthersAndReadableToOwner() {
        Shell.ok("echo secret > " + m.at("private") + " && chmod 600 " + m.at("private"));
        assertNotEquals(0, Shell.asNobody("cat " + m.at("private")).exit());
        Shell.ok("chown nobody " + m.at("private"));
        assertEquals("secret", Shell.asNobody("cat " + m.at("private")).ok().out().trim());
        assertNotEquals(0, Shell.asNobody("test -x " + m.at("private")).exit());
        Shell.asNobody("test -r " + m.at("private") + " && test -w " + m.at("private")).ok();
    }

    @Test
    void groupMembersMayReadGroupReadableFileAndOthersMayNot() {
        Shell.ok("echo team > " + m.at("team") + " && chgrp 4242 " + m.at("team") + " && chmod 640 " + m.at("team"));
        assertNotEquals(0, Shell.asNobody("cat " + m.at("team")).exit());
        String member = "setpriv --reuid=65534 --regid=65534 --groups=4242 cat " + m.at("team");
        assertEquals("team", Shell.ok(member).trim());
    }

    @Test
    void stickyDirectoryStopsUsersDeletingOthersFiles() {
        Shell.ok("mkdir -m 1777 " + m.at("tmp") + " && echo r > " + m.at("tmp/roots"));
        Shell.Result refused = Shell.asNobody("rm -f " + m.at("tmp/roots"));
        assertNotEquals(0, refused.exit());
        Shell.ok("test -f " + m.at("tmp/roots"));
        Shell.asNobody("echo n > " + m.at("tmp/own") + " && rm " + m.at("tmp/own")).ok();
    }

    @Test
    void setgidDirectoryGivesNewFilesItsGroupAndNewDirectoriesTheBit() {
        Shell.ok("mkdir " + m.at("proj") + " && chgrp 4242 " + m.at("proj") + " && chmod 2775 " + m.at("proj")
                + " && touch " + m.at("proj/file") + " && mkdir " + m.at("proj/sub"));
        assertEquals("4242", Shell.ok("stat -c %g " + m.at("proj/file")).trim());
        assertEquals("4242 2755", Shell.ok("stat -c '%g %a' " + m.at("proj/sub")).trim());
    }

    @Test
    void onlyTheOwnerMayChangeModesAndTimes() {
        Shell.ok("echo x > " + m.at("owned") + " && chmod 644 " + m.at("owned"));
        assertNotEquals(0, Shell.asNobody("chmod 777 " + m.at("owned")).exit());
        assertNotEquals(0, Shell.asNobody("touch -d 2000-01-01 " + m.at("owned")).exit());
        assertEquals("644", Shell.ok("stat -c %a " + m.at("owned")).trim());
    }

    /**
     * The kernel leaves clearing the set-user-ID and set-group-ID bits on writes and truncates by
     * a caller without CAP_FSETID to LocusFS (FUSE_HANDLE_KILLPRIV_V2, which spares a GETXATTR
     * per write): what each change leaves of the bits must be what it leaves on a native disk.
     */
    @Test
    void writesTruncatesAndChownClearSetIdBitsAsOnANativeDisk(@TempDir Path nativeDir) {
        Shell.ok("chmod 755 " + nativeDir);
        String[][] cases = {
            {"nobody appends", "6777", "nobody", "echo more >> F"},
            {"nobody truncates on open", "6777", "nobody", ": > F"},
            {"nobody truncates", "4777", "nobody", "truncate -s 1 F"},
            {"nobody writes in place", "6777", "nobody", "printf x | dd of=F conv=notrunc status=none"},
            {"nobody writes, setgid without group execution", "2766", "nobody", "echo more >> F"},
            {"root appends", "6777", "root", "echo more >> F"},
            {"root truncates", "6777", "root", "truncate -s 1 F"},
            {"root changes the owner", "6755", "root", "chown nobody F"},
            {"root changes the owner, setgid without group execution", "2745", "root", "chown nobody F"},
        };
        for (int i = 0; i < cases.length; i++) {
            String[] c = cases[i];
            String onMount = afterChange(m.at("setid-" + i), c);
            String onNative = afterChange(Shell.quote(nativeDir.resolve("f").toString()), c);
            assertEquals(onNative, onMount, c[0] + ": the mode after the change (native, LocusFS)");
        }
        // Both ways of asking for the mode agree after the change (the kernel's cache was told).
        String file = m.at("setid-fresh");
        assertEquals("4777", Shell.ok("echo x > " + file + " && chmod 4777 " + file + " && stat -c %a " + file).trim());
        Shell.asNobody("echo more >> " + file).ok();
        assertEquals("777", Shell.ok("stat -c %a " + file).trim());
        // A file capability set on a file written before (which the kernel then marked as having
        // nothing to remove) is still removed by the next write, as a write does natively.
        String capped = m.at("setid-capability");
        Shell.ok("echo x > " + capped + " && echo y >> " + capped
                + " && setfattr -n security.capability -v 0sAQAAAgAgAAAAAAAAAAAAAAAAAAA= " + capped);
        assertTrue(Shell.ok("getfattr -d -m security. " + capped).contains("security.capability"));
        Shell.ok("echo z >> " + capped);
        assertEquals("", Shell.ok("getfattr -d -m security. " + capped).trim());
    }

    /** Makes {@code file} (quoted for the shell) with mode {@code c[1]}, runs {@code c[3]} on it as {@code c[2]}, and returns its mode. */
    private static String afterChange(String file, String[] c) {
        Shell.ok("rm -f " + file + " && echo contents > " + file + " && chmod " + c[1] + " " + file);
        String command = c[3].replace("F", file);
        if (c[2].equals("nobody")) {
            Shell.asNobody(command).ok();
        } else {
            Shell.ok(command);
        }
        return Shell.ok("stat -c %a " + file).trim();
    }
}
