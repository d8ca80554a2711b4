package io.locusfs.cli;

import io.locusfs.daemon.ControlClient;
import io.locusfs.daemon.ControlProtocol;
import io.locusfs.policy.Policy;
import io.locusfs.policy.PolicyException;
import io.locusfs.residency.ResidencyReport;
import io.locusfs.residency.ResidencySummary;
import io.locusfs.residency.ResidencyVerifier;
import io.locusfs.store.Store;
import io.locusfs.store.StoreOptions;
import io.locusfs.xattr.NodeIdentity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "residency",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        header = "Prove where data lives and has lived.",
        description = {
            "A residency report lists, for every file and directory under the given paths, every copy "
                + "that exists or existed in a period: this store (through each location it has had) and "
                + "each mirror or object-store bucket that acknowledged it, with zone, coordinates, the "
                + "signed record of the node that vouched for it, and the time span; then a summary by "
                + "zone, with every copy the placement policy does not allow (which should be none). It is "
                + "signed by the node key and can be checked offline by anyone holding the public keys.",
            "",
            "Examples:",
            "  locusfs residency report /mnt/locus/finance --since 2026-01-01 -o finance.json",
            "  locusfs residency report /mnt/locus --format html -o residency.html",
            "  locusfs residency verify finance.json --trust /etc/locusfs/trusted"},
        subcommands = {ResidencyCommand.Report.class, ResidencyCommand.Verify.class})
final class ResidencyCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (report, verify)");
    }

    /** The forms on offer: the signed report, or the page for people that carries it. */
    enum Format { json, html }

    @Command(name = "report", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
            header = "Write a signed report of where files live and have lived.",
            description = {
                "PATH is a file or directory on a LocusFS mount (several must be on the same mount), or a "
                    + "store directory that is not mounted (its whole tree; give --policy to judge placement). "
                    + "On a mount the running daemon writes the report and judges placement by the mount's policy.",
                "",
                "--format json writes the signed report (format: replicator/RESIDENCY.md); --format html "
                    + "a self-contained page (summary, map of zones, a timeline per file) that carries the "
                    + "signed report inside, so 'locusfs residency verify' checks the page itself. The report "
                    + "is streamed: memory does not grow with the number of files.",
                "",
                "Dates are YYYY-MM-DD (midnight UTC) or an ISO-8601 instant (2026-03-01T12:00:00Z)."},
            footerHeading = "%nExit status:%n",
            footer = {"  0  the report was written and no copy is outside the policy",
                "  1  the report could not be written", "  2  invalid command line",
                "  3  the report was written, and some copies are outside the zones the policy allows"})
    static final class Report implements Callable<Integer> {
        @Parameters(paramLabel = "PATH", arity = "1..*", description = "Files or directories on a mount, or one unmounted store.")
        List<Path> paths;

        @Option(names = "--since", paramLabel = "DATE", description = "Only copies that existed on or after DATE.")
        String since;

        @Option(names = "--until", paramLabel = "DATE", description = "Only copies that existed on or before DATE.")
        String until;

        @Option(names = "--format", paramLabel = "FORMAT", description = "json (the signed report) or html (a page carrying it). Default: ${DEFAULT-VALUE}.")
        Format format = Format.json;

        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Where to write it. Default: residency-report.json or .html here.")
        Path output;

        @Option(names = "--policy", paramLabel = "FILE", description = "For an unmounted store: the policy whose placement rules judge the copies.")
        Path policy;

        @Option(names = "--quiet", description = "No progress line.")
        boolean quiet;

        @Override
        public Integer call() throws Exception {
            Optional<Instant> from = Optional.ofNullable(since).map(d -> date(d, "--since"));
            Optional<Instant> to = Optional.ofNullable(until).map(d -> date(d, "--until"));
            if (from.isPresent() && to.isPresent() && to.get().isBefore(from.get())) {
                throw new IllegalArgumentException("--until " + until + " is before --since " + since);
            }
            Path out = (output == null ? Path.of("residency-report." + format) : output).toAbsolutePath();
            if (!Files.isDirectory(out.getParent())) {
                throw new IllegalArgumentException("cannot write " + out + ": " + out.getParent() + " is not a directory");
            }
            ResidencySummary summary;
            Optional<MountedStore> mount = MountedStore.of(paths.get(0));
            if (mount.isPresent()) {
                if (policy != null) {
                    throw new IllegalArgumentException("--policy is for an unmounted store: on a mount, the mount's own policy judges placement");
                }
                List<String> inside = new ArrayList<>();
                for (Path p : paths) {
                    if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                        throw new IllegalArgumentException(p + ": no such file or directory");
                    }
                    Optional<MountedStore> m = MountedStore.of(p);
                    if (m.isEmpty() || !m.get().mountPoint().equals(mount.get().mountPoint())) {
                        throw new IllegalArgumentException(p + " is not on the LocusFS mount " + mount.get().mountPoint()
                                + " (one report covers one store)");
                    }
                    inside.add(m.get().inside(p));
                }
                try (TerminalProgress progress = new TerminalProgress("reporting", 0, 0, quiet)) {
                    summary = ControlClient.of(mount.get().store()).call(new ControlProtocol.Residency(inside,
                            from.map(Instant::toString).orElse(null), to.map(Instant::toString).orElse(null), format.name(),
                            out.toString()), progress);
                }
            } else {
                if (paths.size() != 1 || !Files.isRegularFile(paths.get(0).resolve(NodeIdentity.PUBLIC_KEY_FILE))) {
                    throw new IllegalArgumentException(paths.get(0) + " is neither on a LocusFS mount nor a LocusFS store directory");
                }
                Path storePath = paths.get(0);
                Policy judged = null;
                if (policy != null) {
                    try {
                        judged = PolicyCommand.checkOrThrow(policy);
                    } catch (PolicyException e) {
                        throw new IllegalArgumentException("the policy has problems:\n" + e.getMessage());
                    }
                }
                NodeIdentity identity = NodeIdentity.load(storePath);
                try (Store store = Store.open(storePath, StoreOptions.defaults().asReadOnly());
                     TerminalProgress progress = new TerminalProgress("reporting", 0, 0, quiet)) {
                    summary = ResidencyReport.writeFile(store, judged, identity,
                            new ResidencyReport.Scope(List.of("/"), from, to), ResidencyReport.Form.valueOf(format.name().toUpperCase()),
                            out, progress);
                }
            }
            System.out.println(describe(out, summary));
            return summary.outsidePolicy() == 0 ? 0 : 3;
        }

        private static String describe(Path out, ResidencySummary s) {
            String zones = s.zones().stream().map(z -> z.zone() + " " + z.copies()).collect(Collectors.joining(", "));
            return "wrote " + out + ": " + s.files() + " files and " + s.directories() + " directories, " + s.copies()
                    + " copies in " + s.zones().size() + " zone(s)" + (zones.isEmpty() ? "" : " (" + zones + ")")
                    + "; outside the policy: " + (s.outsidePolicy() == 0 ? "none" : s.outsidePolicy() + " (" + s.outsideNow() + " still exist)");
        }

        private static Instant date(String text, String option) {
            try {
                return text.contains("T") ? Instant.parse(text) : LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant();
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException(option + " " + text + " is not a date (YYYY-MM-DD) or an instant (2026-03-01T12:00:00Z)");
            }
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
            header = "Check a residency report offline.",
            description = {
                "Checks REPORT (the signed JSON, or the HTML page that carries it) with nothing but the report "
                    + "and the trusted public keys: the signature over every byte; every location record it "
                    + "cites, each signed by a trusted key and saying what the copy says; every hop of each "
                    + "file's provenance; and the summary against the entries. Every problem is listed with "
                    + "what and where.",
                "",
                "KEYS is a node's public key file (node.pub) or a directory of them (*.pub); repeat --trust "
                    + "for several. The origin's key and every mirror's key whose records the report cites "
                    + "are needed."},
            footerHeading = "%nExit status:%n",
            footer = {"  0  the report checks out", "  1  it does not (the problems are listed), or cannot be read",
                "  2  invalid command line"})
    static final class Verify implements Callable<Integer> {
        @Parameters(paramLabel = "REPORT", description = "The report (.json) or its page (.html).")
        Path report;

        @Option(names = "--trust", paramLabel = "KEYS", required = true, description = "A trusted public key file, or a directory of *.pub.")
        List<Path> trust;

        @Override
        public Integer call() throws Exception {
            if (!Files.isRegularFile(report)) {
                throw new IllegalArgumentException(report + ": no such file");
            }
            Map<String, PublicKey> keys = new HashMap<>();
            for (Path t : trust) {
                if (Files.isDirectory(t)) {
                    keys.putAll(RecordCheck.directoryKeys(t));
                } else if (Files.isRegularFile(t)) {
                    PublicKey key = NodeIdentity.loadPublicKey(t);
                    keys.put(NodeIdentity.nodeIdOf(key), key);
                } else {
                    throw new IllegalArgumentException("--trust " + t + ": no such file or directory");
                }
            }
            if (keys.isEmpty()) {
                throw new IllegalArgumentException("--trust gave no public keys (a directory needs *.pub files)");
            }
            ResidencyVerifier.Result r = ResidencyVerifier.verify(report, keys);
            if (r.ok()) {
                ResidencySummary s = r.summary();
                System.out.println(report + ": verified: signed by node " + r.signer() + "; " + s.files() + " files and "
                        + s.directories() + " directories, " + s.copies() + " copies in " + s.zones().size()
                        + " zone(s); outside the policy: " + (s.outsidePolicy() == 0 ? "none" : s.outsidePolicy()));
                return 0;
            }
            System.out.println(report + ": REFUSED: " + r.problemCount() + " problem(s)");
            for (String p : r.problems()) {
                System.out.println("  " + p);
            }
            if (r.problemCount() > r.problems().size()) {
                System.out.println("  … and " + (r.problemCount() - r.problems().size()) + " more");
            }
            return 1;
        }
    }
}
