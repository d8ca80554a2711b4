package io.locusfs.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.locusfs.store.Fsck;
import io.locusfs.store.RepairLog;
import io.locusfs.store.Store;
import io.locusfs.store.StoreOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "fsck",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        header = "Check a store's consistency, and optionally repair it.",
        description = {
            "Checks the invariants of an unmounted store: every directory entry points to a live "
                + "inode of the right kind; link counts match the entries; every inode is reachable "
                + "from the root; every block and xattr belongs to a live inode; blocks lie within "
                + "the file's size and match the block map; stored block counts are right.",
            "",
            "Each problem is printed on its own line with what --repair would do about it. "
                + "Without --repair nothing in the store is changed.",
            "",
            "Example:",
            "  locusfs fsck /srv/store"},
        footerHeading = "%nExit status:%n",
        footer = {"  0  the store is clean", "  1  problems were found and all were repaired",
            "  4  problems remain (run with --repair, or they cannot be repaired)",
            "  8  the store could not be checked (not a store, mounted, unreadable)"})
final class FsckCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "STORE", description = "The store to check.")
    Path store;

    @Option(names = "--repair", description = "Repair what can be repaired, then check again.")
    boolean repair;

    @Option(names = "--json", description = "Print one JSON object: store, status (clean, repaired, problems), "
            + "inodes, blocks, problems [{description, repair}], remaining [descriptions], self_heal {repairs, bytes, recent}.")
    boolean json;

    @Override
    public Integer call() {
        // A mounted store's daemon holds writes not yet in the store: check it unmounted.
        Optional<String> mounted = Store.mountedBy(store);
        if (mounted.isPresent()) {
            System.err.println("locusfs fsck: " + store + " is in use by " + mounted.get());
            return 8;
        }
        // A check only reads: read-only, so that a store a mirror serves can be checked as it runs.
        try (Store opened = Store.open(store, repair ? StoreOptions.defaults() : StoreOptions.defaults().asReadOnly())) {
            // What self-heal mended comes first: a check that then fails on what it could not mend still shows it.
            RepairLog.Summary healed = RepairLog.read(opened);
            if (healed.repairs() > 0 && !json) {
                System.out.println("self-heal: " + healed.repairs() + " repair(s), " + healed.bytes() + " bytes read again from mirrors"
                        + " (blocks that failed their checksum here); the last:");
                for (RepairLog.Entry e : healed.recent()) {
                    System.out.println("  " + e.time() + "  " + e.path() + "  " + e.bytes() + " bytes from " + e.from());
                }
            }
            Fsck fsck = new Fsck(opened);
            List<Fsck.Problem> problems = fsck.check();
            List<Fsck.Problem> remaining = problems;
            if (repair && !problems.isEmpty()) {
                fsck.repair();
                remaining = new Fsck(opened).check();
            }
            int status = problems.isEmpty() ? 0 : remaining.isEmpty() ? 1 : 4;
            if (json) {
                printJson(fsck, problems, remaining, status, healed);
                return status;
            }
            for (Fsck.Problem p : problems) {
                System.out.println("problem: " + p.description() + (repair ? "; repair: " : "; --repair would ") + p.repair());
            }
            if (problems.isEmpty()) {
                System.out.println(store + ": clean (" + fsck.inodesChecked() + " inodes, " + fsck.blocksChecked() + " blocks)");
            } else if (!repair) {
                System.out.println(store + ": " + problems.size() + " problems");
            } else {
                for (Fsck.Problem p : remaining) {
                    System.out.println("still: " + p.description());
                }
                System.out.println(store + ": " + problems.size() + " problems, " + remaining.size() + " remain after repair");
            }
            return status;
        } catch (Exception e) {
            System.err.println("locusfs fsck: " + Failures.describe(e));
            return 8;
        }
    }

    private void printJson(Fsck fsck, List<Fsck.Problem> problems, List<Fsck.Problem> remaining, int status,
                           RepairLog.Summary healed) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        var out = mapper.createObjectNode().put("store", store.toString())
                .put("status", status == 0 ? "clean" : status == 1 ? "repaired" : "problems")
                .put("inodes", fsck.inodesChecked()).put("blocks", fsck.blocksChecked());
        var found = out.putArray("problems");
        problems.forEach(p -> found.addObject().put("description", p.description()).put("repair", p.repair()));
        var left = out.putArray("remaining");
        (repair ? remaining : problems).forEach(p -> left.add(p.description()));
        var heal = out.putObject("self_heal").put("repairs", healed.repairs()).put("bytes", healed.bytes());
        var recent = heal.putArray("recent");
        healed.recent().forEach(e -> recent.addObject().put("time", e.time().toString()).put("path", e.path())
                .put("bytes", e.bytes()).put("from", e.from()));
        System.out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(out));
    }
}
