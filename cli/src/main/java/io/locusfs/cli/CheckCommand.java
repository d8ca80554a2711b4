package io.locusfs.cli;

import io.locusfs.replicate.BucketLink;
import io.locusfs.replicate.ReplicationConfig;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "check",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        header = "Check what an object-store mirror holds.",
        description = {
            "Reads the bucket of MIRROR (a [[mirror]] with type = \"s3\" in CONFIG) as 'restic check' does: "
                + "every snapshot's manifest decrypts and its signature verifies with the origin's node key; "
                + "every tree layer is there and matches its id; every block a snapshot's files read from is "
                + "listed by a pack index, and that pack exists and is long enough. With --read-data every "
                + "such block is also read and its AES-GCM authentication tag checked, which reads the whole "
                + "bucket. Changes nothing.",
            "",
            "Examples:",
            "  locusfs check bucket-fra --replicate /etc/locusfs/replication.toml",
            "  locusfs check bucket-fra --replicate /etc/locusfs/replication.toml --read-data"},
        footerHeading = "%nExit status:%n",
        footer = {"  0  no problem found", "  1  the bucket could not be read (the message says why)",
            "  3  problems found (each is printed)"})
final class CheckCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MIRROR", description = "The object-store mirror's name in CONFIG.")
    String mirror;

    @Option(names = "--replicate", paramLabel = "CONFIG", required = true, description = "The replication config naming the mirror.")
    Path config;

    @Option(names = "--read-data", description = "Read every block and check it (slow: reads the whole bucket).")
    boolean readData;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        ReplicationConfig loaded = ReplicationConfig.load(config);
        ReplicationConfig.Mirror m = loaded.mirrors().stream().filter(x -> x.name().equals(mirror)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no mirror named '" + mirror + "' in " + config));
        if (m.bucket() == null) {
            throw new IllegalArgumentException("mirror " + mirror + " is a LocusFS mirror: check its store there with 'locusfs fsck'");
        }
        long start = System.nanoTime();
        BucketLink.Check check;
        try (BucketLink link = new BucketLink(m.bucket(), null);
             TerminalProgress progress = new TerminalProgress("reading blocks", 0, 0, quiet || !readData,
                     TerminalProgress.stderrIsTerminal())) {
            check = link.check(readData, progress);
        }
        for (String problem : check.problems()) {
            System.out.println("problem: " + problem);
        }
        System.out.printf(Locale.ROOT, "%s: %d snapshot(s) (%s), %d pack(s), %d block(s) referenced%s; %s in %.1f s%n", mirror,
                check.snapshots().size(), String.join(", ", check.snapshots()), check.packs(), check.blocks(),
                readData ? ", " + check.blocksRead() + " read and checked" : "",
                check.problems().isEmpty() ? "no problem found" : check.problems().size() + " problem(s)", (System.nanoTime() - start) / 1e9);
        return check.problems().isEmpty() ? 0 : 3;
    }
}
