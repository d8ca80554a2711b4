package io.locusfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

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
}
