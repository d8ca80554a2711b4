package io.locusfs.cli;

import io.locusfs.policy.Policy;
import io.locusfs.replicate.MirrorLink;
import io.locusfs.replicate.ReplicationConfig;
import io.locusfs.replicate.Restore;
import io.locusfs.store.Store;
import io.locusfs.store.StoreOptions;
import io.locusfs.translate.Translation;
import io.locusfs.xattr.ReservedAttributes;
import io.locusfs.xattr.ZonePath;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "restore",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        header = "Bring a snapshot, a tree or one file back from a mirror.",
        description = {
            "Asks mirror MIRROR (a name from the replication config, or HOST:PORT) for SNAPSHOT (its newest "
                + "when left out) over TLS, limited to --path, and writes it below TARGET: each file at its own path "
                + "there, so '--path /docs/a.txt' restored into /tmp/r is /tmp/r/docs/a.txt. TARGET is a directory: "
                + "an empty one, a plain tree, or a directory in a mounted LocusFS store (the restored files then "
                + "live in that store's zone); or a LocusFS store that is not mounted, whose live tree the files are "
                + "restored into, living in its zone. What is at the restored paths is replaced; nothing else is touched.",
            "",
            "Owners (as root), modes, nanosecond times, xattrs, hard links, holes and each file's location "
                + "history come back: user.location.origins holds the origin's and each mirror's signed records, "
                + "user.location and user.location.record (outside a LocusFS mount) say where the copy lives now.",
            "",
            "The mirror sends a full replication stream of what was asked, signed by its node key; every "
                + "frame is checked and the whole stream is applied to a staging store (--staging) before "
                + "anything is written to TARGET. A restore that is killed or loses its link continues where "
                + "it stopped when run again with the same arguments.",
            "",
            "Placement: the restored files must be allowed in the zone they are written to (--zone; else "
                + "TARGET's own user.location inside a LocusFS mount; else the zone of the config's source "
                + "store) by the policy (--policy; else the config's). A file that may not live there refuses "
                + "the restore, saying which file and which rule, and TARGET is left as it was.",
            "",
            "Examples:",
            "  locusfs restore --from backup --replicate /etc/locusfs/replication.toml /tmp/r",
            "  locusfs restore --from backup:nightly-3 --path /docs/plan.odt \\",
            "      --replicate /etc/locusfs/replication.toml /mnt/data/restored",
            "  locusfs restore --from backup --path /docs \\",
            "      --replicate /etc/locusfs/replication.toml /srv/store",
            "  locusfs restore --from 10.0.0.7:7443 --tls-cert me.crt \\",
            "      --tls-key me.key --ca ca.crt --zone eu/de/berlin /srv/restore"},
        footerHeading = "%nExit status:%n",
        footer = {"  0  everything asked for was restored", "  1  refused or failed (the message says why; run again to resume)"})
final class RestoreCommand implements Callable<Integer> {

    @Mixin
    MirrorSource mirrorSource;

    @Option(names = "--path", paramLabel = "PATH", defaultValue = "/",
            description = "Restore only this file or directory, as a path in the snapshot (default: all of it).")
    String path;

    @Parameters(index = "0", paramLabel = "TARGET", description = "The directory to restore into (made if missing), or an unmounted store.")
    Path target;

    @Option(names = "--replicate", paramLabel = "CONFIG",
            description = "The replication config naming the mirror, its TLS files and the policy.")
    Path config;

    @Option(names = "--zone", paramLabel = "ZONE", description = "The zone TARGET is in (see Placement above).")
    String zone;

    @Option(names = "--policy", paramLabel = "FILE", description = "The policy whose placement rules the restored files must satisfy.")
    Path policy;

    @Option(names = "--staging", paramLabel = "DIR",
            description = "Where the stream is staged until it is whole (default: a directory under /var/tmp/locusfs-restore "
                    + "named after what is restored; kept after a failure to resume, removed after success).")
    Path staging;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        ReplicationConfig loaded = config == null ? null : ReplicationConfig.load(config);
        MirrorSource.Resolved mirror = mirrorSource.resolve(loaded, "--replicate");
        Policy rules = Policies.load(policy != null ? policy : loaded == null ? null : loaded.policy());
        String restorePath = "/" + path.replaceAll("^/+|/+$", "");
        Store into = openTargetStore();
        try (into) {
            return restore(loaded, mirror, rules, restorePath, into);
        }
    }

    /**
     * TARGET when it is a LocusFS store, opened to restore into; null for a directory.
     *
     * @throws IllegalArgumentException when it is a store that a mount holds (restore into the mount point instead)
     */
    private Store openTargetStore() throws IOException {
        if (!Files.isRegularFile(target.resolve(Store.MARKER_FILE))) {
            return null;
        }
        Optional<String> holder = Store.mountedBy(target);
        if (holder.isPresent()) {
            throw new IllegalArgumentException(target + " is a store in use by " + holder.get()
                    + ": restore into its mount point instead");
        }
        Store store = Store.open(target, StoreOptions.defaults());
        if (zone != null && !ZonePath.parse(zone).equals(store.location().zone())) {
            store.close();
            throw new IllegalArgumentException("the store " + target + " is in zone " + store.location().zone() + ", not " + zone
                    + ": what is restored into it lives there (leave out --zone)");
        }
        return store;
    }

    private int restore(ReplicationConfig loaded, MirrorSource.Resolved mirror, Policy rules, String restorePath, Store into)
            throws IOException {
        String host = mirror.host();
        int port = mirror.port();
        String snapshot = mirror.snapshot();
        ZonePath where = into != null ? into.location().zone() : zoneOfTarget(loaded);
        Path stagingDir = staging != null ? staging.toAbsolutePath() : defaultStaging(mirror.bucket() != null ? mirror.bucket().endpoint() + "/" + mirror.bucket().name() : host + ":" + port, snapshot, restorePath, where);
        // The restored copies are vouched for by the node they return to: the target store's, else the config's source.
        Store stagingStore = openStaging(stagingDir, where, into != null ? into.path() : loaded == null ? null : loaded.source());
        boolean keep = true;
        try (stagingStore;
             MirrorLink link = mirror.open(null);
             TerminalProgress progress = new TerminalProgress("fetching", 0, 0, quiet, TerminalProgress.stderrIsTerminal())) {
            Restore restore = new Restore(link, stagingStore, rules);
            Restore.Result result;
            try {
                Restore.Listener listener = new Restore.Listener() {
                    @Override
                    public void fetching(MirrorLink.Fetched fetched, boolean resumed) {
                        if (resumed) {
                            System.err.println("resuming the restore of snapshot " + fetched.snapshot() + " at frame " + fetched.first());
                        }
                        progress.total(fetched.files(), fetched.bytes());
                    }

                    @Override
                    public void writing(long files, long bytes) {
                        progress.restart("writing", files, bytes);
                    }
                };
                result = into != null ? restore.runInto(snapshot, restorePath, into, listener, progress)
                        : restore.run(snapshot, restorePath, target, listener, progress);
            } catch (IOException | RuntimeException e) {
                keep = restore.resumable();
                throw e;
            }
            keep = false;
            progress.close();
            System.err.printf(Locale.ROOT, "restored %s of snapshot %s from %s into %s%s (zone %s): %,d files, %s%s%n",
                    restorePath, result.snapshot(), mirror.bucket() != null ? mirror.describe() : host + ":" + port, into != null ? "store " : "", target, where, result.files(),
                    SnapshotCommand.human(result.bytes()), result.resumed() ? ", resumed" : "");
        } finally {
            if (!keep) {
                Translation.deleteRecursively(stagingDir);
            } else {
                System.err.println("what arrived is kept in " + stagingDir + ": run the same restore again to continue");
            }
        }
        return 0;
    }

    /** The zone the restored files will live in: --zone, TARGET's own in a LocusFS mount, or the config's source store's. */
    private ZonePath zoneOfTarget(ReplicationConfig loaded) throws IOException {
        if (zone != null) {
            return ZonePath.parse(zone);
        }
        Path existing = target.toAbsolutePath();
        while (!Files.exists(existing) && existing.getParent() != null) {
            existing = existing.getParent(); // TARGET is made only once the stream has arrived whole
        }
        Optional<byte[]> own = Xattrs.get(existing, ReservedAttributes.LOCATION);
        if (own.isPresent()) {
            return ZonePath.parse(new String(own.get(), StandardCharsets.UTF_8).strip());
        }
        if (loaded != null && loaded.source() != null && Files.isDirectory(loaded.source())) {
            try (Store source = Store.open(loaded.source(), StoreOptions.defaults().asReadOnly())) {
                return source.location().zone();
            }
        }
        throw new IllegalArgumentException("say which zone " + target + " will be in with --zone (it is not in a LocusFS mount,"
                + " and no replication config names the source store)");
    }

    /** A staging directory named after what is restored from where, so that the same restore run again resumes. */
    private static Path defaultStaging(String mirror, String snapshot, String path, ZonePath zone) throws IOException {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest((mirror + "\n" + snapshot + "\n" + path + "\n" + zone)
                    .getBytes(StandardCharsets.UTF_8));
            return Path.of("/var/tmp/locusfs-restore", HexFormat.of().formatHex(digest, 0, 8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Opens the staging store, making it on the first run: in the restore's zone, signing with
     * the node key of {@code keySource} (a store) when this user can read it (the restored copies
     * are then vouched for by the node they return to), else with a key of its own.
     */
    private static Store openStaging(Path dir, ZonePath zone, Path keySource) throws IOException {
        if (!Files.isRegularFile(dir.resolve(Store.MARKER_FILE))) {
            Translation.deleteRecursively(dir); // what a restore that never began left
        }
        WorkingStore.ensure(dir, zone, keySource);
        return WorkingStore.open(dir, StoreOptions.defaults().asBulk());
    }
}
