package io.locusfs.fuse;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel side of a mount, all the daemon needs of it: the mount options libfuse gets, the
 * kernel's cache times, the FUSE session serving a {@link LocusFs} until unmounted, and the
 * unmount itself.
 */
public final class KernelMount {
    private static final Logger log = LoggerFactory.getLogger(KernelMount.class);

    private KernelMount() {
    }

    /**
     * Serves {@code fs} at {@code mountPoint} until it is unmounted; {@code userOptions} are the
     * user's {@code -o} options, {@code store} names the mount (its fsname).
     *
     * @throws IllegalArgumentException for a malformed option; others when the mount fails
     */
    public static void serve(LocusFs fs, Path store, Path mountPoint, List<String> userOptions) throws InterruptedException {
        KernelAdapter adapter = new KernelAdapter(fs, timeouts(userOptions));
        FuseLoop.serve(adapter, mountPoint, List.of("-o", options(store, userOptions)), WORKERS, () -> fs.invalidateThrough(adapter));
    }

    /**
     * Mount options every LocusFS mount gets; the user's -o options come after and may override.
     * The kernel checks mode bits (default_permissions); every user may enter the mount, the
     * policy decides the rest (allow_other).
     */
    static final List<String> DEFAULT_OPTIONS = List.of("default_permissions", "allow_other", "subtype=locusfs");
    /**
     * How long the kernel keeps names and attributes unless told to forget them, in seconds:
     * the daemon is the only writer of its store and invalidates what changes behind the kernel.
     */
    static final double DEFAULT_CACHE_SECONDS = 60;
    /** Options of libfuse 2 that libfuse 3 has made the default (or dropped): accepted and ignored. */
    private static final List<String> OBSOLETE = List.of("nonempty", "big_writes", "use_ino", "hard_remove");

    /**
     * FUSE worker threads: one reads at a time and answers quick requests itself ({@link ReadingTurn});
     * requests for data (of different files, and readahead) proceed in parallel.
     */
    static final int WORKERS = 8;

    /** Asks the kernel to detach the mount (lazily, if busy), which ends the FUSE loop. */
    public static void unmount(Path mountPoint) {
        try {
            Process p = new ProcessBuilder("fusermount3", "-u", "-z", mountPoint.toAbsolutePath().toString())
                    .redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes()).trim();
            if (p.waitFor() != 0) {
                log.error("fusermount3 -u {} failed: {}", mountPoint, output);
            }
        } catch (IOException e) {
            log.error("cannot run fusermount3 to unmount {}", mountPoint, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The mount options for libfuse for a mount of {@code store} with the user's extra options. */
    static String options(Path store, List<String> extra) {
        List<String> all = new ArrayList<>(DEFAULT_OPTIONS);
        all.add("fsname=" + store.toAbsolutePath().normalize().toString().replace("\\", "\\\\").replace(",", "\\,"));
        for (String option : extra) {
            String name = option.contains("=") ? option.substring(0, option.indexOf('=')) : option;
            if (!OBSOLETE.contains(name) && !name.equals("max_write") && !name.equals("max_read")
                    && !name.equals("entry_timeout") && !name.equals("attr_timeout")) {
                all.add(option);
            }
        }
        return String.join(",", all);
    }

    /** The kernel's cache times: {@code entry_timeout=S} and {@code attr_timeout=S} among the user's options, else the default. */
    static KernelAdapter.Timeouts timeouts(List<String> extra) {
        double entry = DEFAULT_CACHE_SECONDS;
        double attr = DEFAULT_CACHE_SECONDS;
        for (String option : extra) {
            if (option.startsWith("entry_timeout=")) {
                entry = seconds(option);
            } else if (option.startsWith("attr_timeout=")) {
                attr = seconds(option);
            }
        }
        return new KernelAdapter.Timeouts(entry, attr);
    }

    private static double seconds(String option) {
        String value = option.substring(option.indexOf('=') + 1);
        try {
            double seconds = Double.parseDouble(value);
            if (seconds >= 0 && Double.isFinite(seconds)) {
                return seconds;
            }
        } catch (NumberFormatException e) {
            // Reported below.
        }
        throw new IllegalArgumentException("mount option " + option + ": the time must be a number of seconds, 0 or more");
    }

}
