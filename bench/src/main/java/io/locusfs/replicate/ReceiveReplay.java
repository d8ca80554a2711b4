package io.locusfs.replicate;

import com.sun.management.OperatingSystemMXBean;
import io.locusfs.store.Store;
import io.locusfs.store.StoreOptions;
import io.locusfs.tree.Progress;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Applies saved replication streams, in order, to a mirror store in one JVM as a mirror does
 * (bulk store, no policy), the page cache dropped before each: the same streams on copies of the
 * same store, so two builds of the receiver can be compared without a network or a sender in the
 * way. Prints, per stream, the wall time, the process's CPU time (flushes and compactions
 * included) and the receiving thread's CPU time, in ms.
 *   java -cp bench/target/classes:fusefs/target/locusfs.jar:fusefs/target/lib/* io.locusfs.replicate.ReceiveReplay STORE STREAM...
 */
public final class ReceiveReplay {
    private ReceiveReplay() {
    }

    public static void main(String[] args) throws Exception {
        var os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        var threads = ManagementFactory.getThreadMXBean();
        try (Store store = Store.open(Path.of(args[0]), StoreOptions.defaults().asBulk())) {
            StreamReceiver receiver = new StreamReceiver(store, null, ino -> false);
            StringBuilder line = new StringBuilder("per stream, ms wall/process cpu/receiving thread cpu:");
            for (int i = 1; i < args.length; i++) {
                new ProcessBuilder("sh", "-c", "sync; echo 3 > /proc/sys/vm/drop_caches").inheritIO().start().waitFor();
                long wall = System.nanoTime();
                long process = os.getProcessCpuTime();
                long thread = threads.getCurrentThreadCpuTime();
                try (InputStream in = new BufferedInputStream(Files.newInputStream(Path.of(args[i])), 1 << 20)) {
                    receiver.receive(in, false, StreamReceiver.Listener.NONE, Progress.NONE);
                }
                line.append(String.format(" %d/%d/%d", (System.nanoTime() - wall) / 1_000_000,
                        (os.getProcessCpuTime() - process) / 1_000_000, (threads.getCurrentThreadCpuTime() - thread) / 1_000_000));
            }
            System.out.println(line);
        }
    }
}
