package io.locusfs.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** kill -9 of the mount daemon at a random moment of a write storm. */
class CrashTest {

    @Test
    void killNineDuringWriteStormKeepsEveryFsyncedFileAndFsckIsClean() throws Exception {
        try (MountedStore m = MountedStore.create("eu/gb/london/hq")) {
            Path log = m.root.resolve("fsynced.log");
            // Writers create files of random size; after fsync returns, the file and its checksum
            // are recorded (and the record itself fsynced) outside the mount.
            String writer = String.join("\n",
                    "import os, hashlib, sys, random",
                    "d = sys.argv[1]; log = open(sys.argv[2], 'a'); w = sys.argv[3]",
                    "os.makedirs(d, exist_ok=True)",
                    "for i in range(100000):",
                    "    data = os.urandom(random.choice([100, 4096, 70000, 300000, 1200000]))",
                    "    p = os.path.join(d, '%s-%06d' % (w, i))",
                    "    fd = os.open(p, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)",
                    "    os.write(fd, data); os.fsync(fd); os.close(fd)",
                    "    log.write('%s %s\\n' % (p, hashlib.sha256(data).hexdigest())); log.flush(); os.fsync(log.fileno())",
                    "    os.rename(p, p + '.done') if i % 7 == 0 else None",
                    "    os.unlink(p + '.done') if i % 21 == 0 else None");
            Path script = m.root.resolve("writer.py");
            Files.writeString(script, writer);
            Shell.ok("for w in a b c d; do /usr/bin/python3 " + script + " " + m.mnt + "/storm " + log + ".$w $w"
                    + " > /dev/null 2>&1 & done; sleep 4");
            // Unbuffered writes that never see fsync, too: a crash may lose them, never corrupt the store.
            Shell.run("dd if=/dev/urandom of=" + m.at("unsynced") + " bs=1M count=64 status=none & sleep 0.5");
            m.crash();
            Shell.run("pkill -f " + script + "; sleep 0.5");
            m.assertFsckClean();
            m.mount();
            int checked = 0;
            for (String w : List.of("a", "b", "c", "d")) {
                for (String line : Files.readAllLines(Path.of(log + "." + w))) {
                    String[] parts = line.split(" ");
                    // A file may have been renamed to .done (and .done files deleted) after its fsync.
                    String path = Files.exists(Path.of(parts[0])) ? parts[0] : parts[0] + ".done";
                    int index = Integer.parseInt(parts[0].substring(parts[0].length() - 6));
                    if (!Files.exists(Path.of(path)) && index % 21 == 0) {
                        continue;
                    }
                    assertEquals(parts[1], Shell.ok("sha256sum < " + Shell.quote(path)).split(" ")[0], "content of " + path);
                    checked++;
                }
            }
            assertTrue(checked > 20, "only " + checked + " files were fsynced before the crash");
            m.unmount();
            m.assertFsckClean();
        }
    }
}
