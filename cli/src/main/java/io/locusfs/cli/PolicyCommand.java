package io.locusfs.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.locusfs.daemon.ControlClient;
import io.locusfs.daemon.ControlProtocol;
import io.locusfs.fuse.SystemAccounts;
import io.locusfs.policy.Policy;
import io.locusfs.policy.PolicyException;
import io.locusfs.policy.PolicyParser;
import io.locusfs.xattr.Coordinates;
import io.locusfs.xattr.ZonePath;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "policy",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        header = "Check and explain location policies.",
        description = {
            "A location policy (a TOML file, given to 'locusfs mount --policy FILE') says who may open "
                + "which files from where, and where files may be stored. docs/REFERENCE.md "
                + "describes every key, with examples.",
            "",
            "Examples:",
            "  locusfs policy check /etc/locusfs/policy.toml",
            "  locusfs policy explain --user alice /mnt/locus/projects/plan.pdf",
            "  locusfs policy explain --user bob --from eu/fr/paris/office-3 \\",
            "      /mnt/locus/projects/plan.pdf"},
        subcommands = {PolicyCommand.Check.class, PolicyCommand.Explain.class})
final class PolicyCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (check, explain)");
    }

    /** Parses {@code file} against the system's groups; throws with every problem (file:line:column). */
    static Policy checkOrThrow(Path file) throws PolicyException {
        return PolicyParser.parse(file, new SystemAccounts().groupNames());
    }

    @Command(name = "check", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            header = "Validate a policy file offline.",
            description = {
                "Parses FILE as the mount would and prints every problem as FILE:LINE:COLUMN: what is wrong "
                    + "(unknown keys, malformed zone paths such as eu//gb, bad distances, unknown groups, "
                    + "TOML syntax). Groups named in rules must be defined in [groups] or exist on this system."},
            footerHeading = "%nExit status:%n", footer = {"  0  the policy is valid", "  1  it has problems (listed on stderr)"})
    static final class Check implements Callable<Integer> {
        @Parameters(paramLabel = "FILE", description = "The policy file.")
        Path file;

        @Option(names = "--json", description = "Print one JSON object: file, valid, access_rules, placement_rules, groups, "
                + "authorities, problems.")
        boolean json;

        @Override
        public Integer call() throws IOException {
            ObjectMapper mapper = new ObjectMapper();
            var out = mapper.createObjectNode().put("file", file.toString());
            try {
                Policy p = checkOrThrow(file);
                if (json) {
                    out.put("valid", true).put("access_rules", p.accessRules().size()).put("placement_rules", p.placementRules().size())
                            .put("groups", p.groups().size()).put("authorities", p.claims().authorities().size()).putArray("problems");
                    System.out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(out));
                    return 0;
                }
                System.out.println(file + ": valid: " + p.accessRules().size() + " access rules, " + p.placementRules().size()
                        + " placement rules, " + p.groups().size() + " groups, " + p.claims().authorities().size()
                        + " trusted claim authorities");
                return 0;
            } catch (PolicyException e) {
                if (json) {
                    var problems = out.put("valid", false).putArray("problems");
                    e.problems().forEach(problems::add);
                    System.out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(out));
                    return 1;
                }
                e.problems().forEach(System.err::println);
                System.err.println(file + ": " + e.problems().size() + " problem(s); nothing of it would be enforced");
                return 1;
            }
        }
    }

    @Command(name = "explain", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
            header = "Say which rule decides, and why, for a user and a file.",
            description = {
                "Asks the mount that holds PATH (its policy in force, its claims, the file's signed location) "
                    + "how it would decide a read and a write of PATH by USER, and whether data may be "
                    + "stored at PATH on this node. The caller is where a valid claim puts USER, else at "
                    + "the node; --from puts them in ZONE instead. PATH need not exist yet."})
    static final class Explain implements Callable<Integer> {
        @Option(names = "--user", required = true, paramLabel = "USER", description = "The user name.")
        String user;

        @Option(names = "--from", paramLabel = "ZONE", description = "Decide as if the user were in ZONE.")
        String from;

        @Option(names = "--coords", paramLabel = "LAT,LON", description = "With --from: the user's coordinates.")
        String coords;

        @Parameters(paramLabel = "PATH", description = "A path inside a mounted store.")
        Path path;

        @Option(names = "--json", description = "Print one JSON object: policy, caller, file, and read, write and "
                + "placement each as {decision, rule, reason}.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            if (from != null) {
                ZonePath.parse(from);
            }
            if (coords != null) {
                Coordinates.parse(coords);
            }
            MountedStore mount = MountedStore.of(path)
                    .orElseThrow(() -> new IllegalArgumentException(path + " is not inside a mounted LocusFS store"));
            List<String> lines = List.of(ControlClient.of(mount.store()).call(new ControlProtocol.PolicyExplain(user,
                    from == null ? "" : from, coords == null ? "" : coords, mount.inside(path))));
            if (json) {
                ObjectMapper mapper = new ObjectMapper();
                var out = mapper.createObjectNode();
                for (String line : lines) {
                    String[] f = line.split("\t");
                    if (f.length >= 4) {
                        var d = out.putObject(f[0]).put("decision", f[1]).put("rule", f[2].equals("-") ? null : f[2]).put("reason", f[3]);
                        if (f.length > 4) {
                            d.put("note", f[4]);
                        }
                    } else {
                        out.put(f[0], f.length > 1 ? f[1] : "");
                    }
                }
                System.out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(out));
                return 0;
            }
            for (String line : lines) {
                String[] f = line.split("\t");
                if (f.length >= 4) {
                    System.out.println(f[0] + ": " + f[1] + (f[2].equals("-") ? "" : " by rule '" + f[2] + "'") + ": " + f[3]
                            + (f.length > 4 ? "; " + f[4] : ""));
                } else {
                    System.out.println(f[0] + ": " + (f.length > 1 ? f[1] : ""));
                }
            }
            return 0;
        }
    }
}
