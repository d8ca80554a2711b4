package io.locusfs.cli;

import io.locusfs.replicate.MirrorLink;
import io.locusfs.replicate.MirroredSnapshot;
import io.locusfs.store.FarData;
import io.locusfs.store.Store;
import io.locusfs.store.StoreOptions;
import io.locusfs.xattr.ZonePath;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * What 'locusfs mount --from' mounts: a cache store holding the metadata of a mirror's snapshot,
 * made (or found) here, and the link its data is read through. The cache store is in the
 * mirror's zone, so every file says where the copy it is read from lives.
 */
final class FarMount implements AutoCloseable {
    private static final Path CACHES = Path.of("/var/cache/locusfs");

    private final Path cache;
    private final MirrorLink link;
    private final MirroredSnapshot source;
    private final String snapshot;

    private FarMount(Path cache, MirrorLink link, MirroredSnapshot source, String snapshot) {
        this.cache = cache;
        this.link = link;
        this.source = source;
        this.snapshot = snapshot;
    }

    /**
     * Connects to {@code mirror} and makes {@code cacheDir} (null: the default for that mirror and
     * snapshot) hold the metadata of the snapshot, fetching it if it does not yet.
     */
    static FarMount prepare(MirrorSource.Resolved mirror, Path cacheDir, boolean report) throws IOException {
        MirrorLink link = mirror.open(null);
        try {
            MirrorLink.Info info = null;
            String snapshot = mirror.snapshot();
            if (snapshot == null || cacheDir == null || !Files.isRegularFile(cacheDir.resolve(Store.MARKER_FILE))) {
                info = link.hello();
                List<String> held = info.snapshots();
                if (snapshot == null) {
                    if (held.isEmpty()) {
                        throw new IllegalArgumentException(mirror.describe() + " holds no snapshot yet");
                    }
                    snapshot = held.get(held.size() - 1);
                } else if (!held.contains(snapshot)) {
                    throw new IllegalArgumentException(mirror.describe() + " has no snapshot '" + snapshot + "' (it has "
                            + (held.isEmpty() ? "none" : String.join(", ", held)) + ")");
                }
            }
            Path dir = cacheDir != null ? cacheDir.toAbsolutePath() : CACHES.resolve("from-" + digest(info.store() + "\n" + snapshot));
            if (info != null) {
                WorkingStore.ensure(dir, ZonePath.parse(info.zone()), null);
            }
            long start = System.nanoTime();
            MirroredSnapshot.Opened opened;
            try (Store store = WorkingStore.open(dir, StoreOptions.defaults());
                 TerminalProgress progress = new TerminalProgress("fetching metadata", 0, 0, !report,
                         TerminalProgress.stderrIsTerminal())) {
                opened = MirroredSnapshot.open(link, store, snapshot, mirror.describe(), progress);
            }
            if (report && opened.fetched()) {
                System.err.printf(Locale.ROOT, "fetched the metadata of snapshot %s from %s: %,d files in %.1f s%n", opened.snapshot(),
                        mirror.describe(), opened.files(), (System.nanoTime() - start) / 1e9);
            }
            return new FarMount(dir, link, opened.source(), opened.snapshot());
        } catch (IOException | RuntimeException e) {
            link.close();
            throw e;
        }
    }

    private static String digest(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    Path cache() {
        return cache;
    }

    /** The snapshot mounted (the mirror's newest when none was named). */
    String snapshot() {
        return snapshot;
    }

    FarData.Source source() {
        return source;
    }

    @Override
    public void close() {
        link.close();
    }
}
