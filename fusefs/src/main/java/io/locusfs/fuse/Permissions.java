package io.locusfs.fuse;

import io.locusfs.store.Inode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * access(2) checks against mode bits, owner, group and the caller's supplementary groups (read
 * from /proc). The kernel makes the same checks for every other operation because the mount uses
 * {@code default_permissions}; this answers the explicit access() calls.
 */
final class Permissions {
    private static final int R_OK = 4;
    private static final int W_OK = 2;
    private static final int X_OK = 1;

    private Permissions() {
    }

    static boolean allows(Inode inode, int uid, int gid, int pid, int mask) {
        mask &= R_OK | W_OK | X_OK;
        if (mask == 0) {
            return true;
        }
        if (uid == 0) {
            // Root may read and write anything, and execute what anyone may execute.
            return (mask & X_OK) == 0 || inode.isDirectory() || (inode.mode & 0111) != 0;
        }
        int granted;
        if (uid == inode.uid) {
            granted = (inode.mode >> 6) & 7;
        } else if (member(gid, pid, inode.gid)) {
            granted = (inode.mode >> 3) & 7;
        } else {
            granted = inode.mode & 7;
        }
        return (granted & mask) == mask;
    }

    /** Whether the caller's group or one of its supplementary groups is {@code gid}. */
    static boolean member(LocusFs.Caller caller, int gid) {
        return member(caller.gid(), (int) caller.pid(), gid);
    }

    private static boolean member(long callerGid, int pid, int gid) {
        return (callerGid & 0xffffffffL) == (gid & 0xffffffffL) || inGroup(pid, gid);
    }

    private static boolean inGroup(int pid, int gid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "status"))) {
                if (line.startsWith("Groups:")) {
                    for (String g : line.substring(7).trim().split("\\s+")) {
                        if (!g.isEmpty() && Integer.parseInt(g) == gid) {
                            return true;
                        }
                    }
                }
            }
        } catch (IOException | NumberFormatException e) {
            return false; // The caller is gone or unreadable: grant nothing extra.
        }
        return false;
    }
}
