package io.locusfs.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.locusfs.replicate.Codec;
import io.locusfs.replicate.StreamSender;
import io.locusfs.store.Store;
import io.locusfs.store.StoreOptions;
import io.locusfs.xattr.NodeIdentity;
import io.locusfs.xattr.ZonePath;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "send",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        header = "Write a snapshot as a replication stream (like zfs send).",
        description = {
            "Writes snapshot SNAPSHOT of STORE to standard output (or --output) as a LocusFS replication "
                + "stream (replicator/STREAM.md): checksummed, compressed frames, a digest over the whole "
                + "stream signed with the store's node key, and each file's placement rules. 'locusfs receive' "
                + "applies it on another store; it travels over a pipe, ssh or a disk.",
            "",
            "With --since OLDER only what changed since snapshot OLDER is written (the receiver must be at OLDER). "
                + "With --to-zone ZONE and --policy FILE, files whose placement rules forbid ZONE are left out "
                + "(and listed on standard error); a receiver in another zone refuses the stream.",
            "",
            "The store may be mounted, or served by a mirror: it is opened read-only, as it was when "
                + "send started, and a snapshot never changes (one deleted meanwhile fails the send).",
            "",
            "Examples:",
            "  locusfs send /srv/store nightly-1 > /backup/full.lstream",
            "  locusfs send /srv/store nightly-2 --since nightly-1 \\",
            "      | ssh mirror locusfs receive /srv/replica",
            "  locusfs send /srv/store nightly-2 --to-zone us/east \\",
            "      --policy /etc/locusfs/policy.toml -o us.lstream"},
        footerHeading = "%nExit status:%n",
        footer = {"  0  the whole stream was written", "  1  refused or failed (the message says why)"})
final class SendCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "STORE", description = "The store (mounted or not).")
    Path store;

    @Parameters(index = "1", paramLabel = "SNAPSHOT", description = "The snapshot to send.")
    String snapshot;

    @Option(names = "--since", paramLabel = "OLDER", description = "Send only what changed since snapshot OLDER.")
    String since;

    @Option(names = "--to-zone", paramLabel = "ZONE", description = "Leave out files whose placement forbids ZONE (needs --policy).")
    String toZone;

    @Option(names = "--policy", paramLabel = "FILE", description = "The policy whose placement rules the stream carries.")
    Path policy;

    @Option(names = "--compress", paramLabel = "CODEC", defaultValue = "zstd", description = "zstd, lz4 or none (default: ${DEFAULT-VALUE}).")
    String compress;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write here instead of standard output.")
    Path output;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Option(names = "--json", description = "Print the summary as JSON (on standard error: standard output is the stream).")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (toZone != null && policy == null) {
            throw new IllegalArgumentException("--to-zone needs --policy: the placement rules that decide what to leave out");
        }
        try (Store opened = Store.open(store, StoreOptions.defaults().asReadOnly())) {
            StreamSender sender = new StreamSender(opened, NodeIdentity.load(store), Policies.load(policy),
                    toZone == null ? null : ZonePath.parse(toZone), Codec.named(compress));
            var header = sender.header(snapshot, since);
            StreamSender.Result result;
            try (OutputStream out = new BufferedOutputStream(output == null ? new FileOutputStream(FileDescriptor.out)
                    : new FileOutputStream(output.toFile()), 1 << 20);
                 TerminalProgress progress = new TerminalProgress("sending", header.files(), header.bytes(), quiet || json,
                         TerminalProgress.stderrIsTerminal())) {
                result = sender.send(header, out, 0, progress);
            }
            if (json) {
                var out = new ObjectMapper().createObjectNode().put("snapshot", snapshot)
                        .put("since", since).put("stream", result.header().stream()).put("files", result.files())
                        .put("content_bytes", result.contentBytes()).put("stream_bytes", result.bytesSent()).put("frames", result.frames());
                var left = out.putArray("left_out");
                result.leftOut().forEach(p -> left.add("/" + p));
                System.err.println(out.toPrettyString());
                return 0;
            }
            for (String path : result.leftOut()) {
                System.err.println("left out (placement forbids " + toZone + "): /" + path);
            }
            System.err.printf(Locale.ROOT, "sent snapshot %s%s: %,d files, %s of content, %s of stream in %,d frames%n",
                    snapshot, since == null ? "" : " (since " + since + ")", result.files(), SnapshotCommand.human(result.contentBytes()),
                    SnapshotCommand.human(result.bytesSent()), result.frames());
        }
        return 0;
    }
}
