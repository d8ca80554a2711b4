package io.locusfs.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.locusfs.replicate.StreamException;
import io.locusfs.replicate.StreamReceiver;
import io.locusfs.store.Store;
import io.locusfs.store.StoreOptions;
import java.io.BufferedInputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "receive",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        header = "Apply a replication stream to a store (like zfs receive).",
        description = {
            "Reads a stream written by 'locusfs send' from standard input (or --input) and applies it to "
                + "STORE, a mirror: all or nothing. Every frame is checked (CRC32C), the digest over the whole "
                + "stream and the sender's signature are checked at its end, and each file's placement rules "
                + "must allow this store's zone (and --policy, this store's own rules); only then is the "
                + "snapshot taken. A stream that fails any check is undone and the store is left at its last "
                + "snapshot. Files take this store's location; where they came from is kept, signed, in "
                + "user.location.origins (see 'locusfs where').",
            "",
            "A stream cut short (a dropped link, kill -9) leaves a resume token: run the same command with "
                + "--resume and the same stream, and the frames already applied are checked and skipped. "
                + "--abort undoes an unfinished receive instead. While one is unfinished, any other receive is "
                + "refused, so that what arrived is never thrown away unasked.",
            "",
            "A mirror takes streams from one store only (the first one it received), signed with the same key.",
            "",
            "Examples:",
            "  locusfs receive /srv/replica < /backup/full.lstream",
            "  locusfs receive /srv/replica --resume < /backup/inc.lstream",
            "  locusfs receive /srv/replica --abort"},
        footerHeading = "%nExit status:%n",
        footer = {"  0  applied (the snapshot exists)", "  1  refused or failed (the message says why); the store is at its last snapshot",
            "  2  the stream stopped before its end; run again with --resume"})
final class ReceiveCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "STORE", description = "The store to apply the stream to (not mounted).")
    Path store;

    @Option(names = {"-i", "--input"}, paramLabel = "FILE", description = "Read here instead of standard input.")
    Path input;

    @Option(names = "--resume", description = "Continue an unfinished receive of the same stream.")
    boolean resume;

    @Option(names = "--abort", description = "Undo an unfinished receive and exit.")
    boolean abort;

    @Option(names = "--policy", paramLabel = "FILE", description = "This store's policy: received files must satisfy its placement rules too.")
    Path policy;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Option(names = "--json", description = "Print the summary as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        // Bulk: the receiver syncs at its checkpoints and redoes what follows the last one after a crash.
        try (Store opened = Store.open(store, StoreOptions.defaults().asBulk())) {
            StreamReceiver receiver = new StreamReceiver(opened, Policies.load(policy), ino -> false);
            if (abort) {
                System.out.println(receiver.abort() ? "undid the unfinished receive" : "no unfinished receive");
                return 0;
            }
            StreamReceiver.Result result;
            try (InputStream in = new BufferedInputStream(input == null ? new FileInputStream(FileDescriptor.in)
                    : new FileInputStream(input.toFile()), 1 << 20);
                 TerminalProgress progress = new TerminalProgress("receiving", 0, 0, quiet || json, TerminalProgress.stderrIsTerminal())) {
                result = receiver.receive(in, resume, StreamReceiver.Listener.NONE, progress);
            } catch (StreamException e) {
                if (e.resumable()) {
                    System.err.println("locusfs receive: " + e.getMessage() + "; what arrived is kept: run again with --resume");
                    return 2;
                }
                throw e;
            }
            if (json) {
                System.out.println(new ObjectMapper().createObjectNode()
                        .put("snapshot", result.header().snapshot()).put("since", result.header().since())
                        .put("sender", result.header().sender()).put("files", result.files())
                        .put("content_bytes", result.contentBytes()).put("stream_bytes", result.bytesRead())
                        .put("resumed", result.resumed()).put("frames_skipped", result.framesSkipped()).toPrettyString());
                return 0;
            }
            System.out.printf(Locale.ROOT, "received snapshot %s%s from store %s: %,d files, %s of content; %s of stream%s%n",
                    result.header().snapshot(), result.header().since() == null ? "" : " (since " + result.header().since() + ")",
                    result.header().sender(), result.files(), SnapshotCommand.human(result.contentBytes()),
                    SnapshotCommand.human(result.bytesRead()),
                    result.resumed() ? String.format(Locale.ROOT, " (resumed: %,d frames were already applied)", result.framesSkipped()) : "");
        }
        return 0;
    }
}
