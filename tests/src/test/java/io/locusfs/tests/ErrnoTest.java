package io.locusfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Each POSIX error case returns the errno a program expects, checked with real system calls. */
class ErrnoTest extends SharedMountTest {

    @Override
    protected String zone() {
        return "eu/fr/paris";
    }

    @BeforeAll
    void populate() {
        Shell.ok("cd " + m.mnt + " && mkdir empty full full/sub && echo x > file && echo y > full/f && chmod 600 file"
                + " && mkdir -m 1777 sticky && echo z > sticky/roots");
    }

    /** The errno name a Python statement fails with inside the mount (as root unless {@code asNobody}), or OK. */
    private String errnoOf(String statement, boolean asNobody) {
        String script = "import os, errno\nos.chdir('" + m.mnt + "')\ntry:\n    " + statement
                + "\n    print('OK')\nexcept OSError as e:\n    print(errno.errorcode[e.errno])";
        String command = "/usr/bin/python3 -c " + Shell.quote(script);
        return (asNobody ? Shell.asNobody(command) : Shell.run(command)).ok().out().trim();
    }

    private String errnoOf(String statement) {
        return errnoOf(statement, false);
    }

    @Test
    void missingNamesAreEnoent() {
        assertEquals("ENOENT", errnoOf("os.stat('missing')"));
        assertEquals("ENOENT", errnoOf("os.open('missing/x', os.O_CREAT | os.O_WRONLY)"));
        assertEquals("ENOENT", errnoOf("os.rename('missing', 'other')"));
        assertEquals("ENOENT", errnoOf("os.unlink('missing')"));
    }

    @Test
    void existingNamesAreEexist() {
        assertEquals("EEXIST", errnoOf("os.mkdir('empty')"));
        assertEquals("EEXIST", errnoOf("os.open('file', os.O_CREAT | os.O_EXCL | os.O_WRONLY)"));
        assertEquals("EEXIST", errnoOf("os.link('file', 'full/f')"));
        assertEquals("EEXIST", errnoOf("os.symlink('x', 'file')"));
    }

    @Test
    void nonEmptyDirectoriesAreEnotempty() {
        assertEquals("ENOTEMPTY", errnoOf("os.rmdir('full')"));
        assertEquals("ENOTEMPTY", errnoOf("os.rename('empty', 'full')"));
    }

    @Test
    void directoriesWhereFilesAreExpectedAreEisdir() {
        assertEquals("EISDIR", errnoOf("os.open('empty', os.O_WRONLY)"));
        assertEquals("EISDIR", errnoOf("os.rename('file', 'empty')"));
        assertEquals("EISDIR", errnoOf("os.unlink('empty')"));
    }

    @Test
    void filesWhereDirectoriesAreExpectedAreEnotdir() {
        assertEquals("ENOTDIR", errnoOf("os.stat('file/x')"));
        assertEquals("ENOTDIR", errnoOf("os.rmdir('file')"));
        assertEquals("ENOTDIR", errnoOf("os.rename('empty', 'file')"));
    }

    @Test
    void namesOver255BytesAreEnametoolongAnd255Work() {
        assertEquals("ENAMETOOLONG", errnoOf("os.open('" + "n".repeat(256) + "', os.O_CREAT | os.O_WRONLY)"));
        assertEquals("ENAMETOOLONG", errnoOf("os.mkdir('" + "n".repeat(256) + "')"));
        assertEquals("OK", errnoOf("os.close(os.open('" + "n".repeat(255) + "', os.O_CREAT | os.O_WRONLY))"));
        assertEquals("OK", errnoOf("os.stat('" + "n".repeat(255) + "')"));
    }

    @Test
    void lookingUpANameOver255BytesIsEnametoolongNotEnoent() {
        String longName = "'" + "m".repeat(256) + "'";
        for (String call : new String[] {"os.stat(N)", "os.chmod(N, 0o600)", "os.chown(N, 0, 0)", "os.lchown(N, 0, 0)",
                "os.truncate(N, 0)", "os.unlink(N)", "os.rmdir(N)", "os.link(N, 'x')", "os.rename(N, 'x')"}) {
            assertEquals("ENAMETOOLONG", errnoOf(call.replace("N", longName)), call);
        }
    }

    @Test
    void anOpenFileThatWasUnlinkedKeepsItsAttributesUntilClosed() {
        String script = "fd = os.open('doomed', os.O_CREAT | os.O_RDWR, 0o644); os.write(fd, b'abc'); os.unlink('doomed')"
                + "; os.fchmod(fd, 0o600); os.fchown(fd, 1, 1); os.ftruncate(fd, 2); st = os.fstat(fd)"
                + "; assert (st.st_nlink, st.st_size, st.st_mode & 0o777, st.st_uid) == (0, 2, 0o600, 1), st"
                + "; assert os.pread(fd, 9, 0) == b'ab'; os.close(fd)";
        assertEquals("OK", errnoOf(script));
    }

    @Test
    void movingADirectoryIntoItselfIsEinval() {
        assertEquals("EINVAL", errnoOf("os.rename('full', 'full/sub/inside')"));
    }

    @Test
    void permissionProblemsAreEaccesAndEperm() {
        assertEquals("EACCES", errnoOf("open('file').read()", true));
        assertEquals("EACCES", errnoOf("os.mkdir('empty/mine')", true));
        assertEquals("EPERM", errnoOf("os.chown('file', 65534, 65534)", true));
        assertEquals("EPERM", errnoOf("os.unlink('sticky/roots')", true));
        assertEquals("EPERM", errnoOf("os.link('empty', 'dirlink')"));
    }

    @Test
    void renameAcrossFileSystemsIsExdev() {
        assertEquals("EXDEV", errnoOf("os.rename('file', '" + m.root + "/outside')"));
    }

    @Test
    void missingXattrIsEnodata() {
        assertEquals("ENODATA", errnoOf("os.getxattr('file', 'user.none')"));
        assertEquals("ENODATA", errnoOf("os.removexattr('file', 'user.none')"));
    }
}
