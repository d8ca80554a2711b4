package io.locusfs.cli;

import io.locusfs.daemon.StoreConfig;
import io.locusfs.policy.ConfigFields;
import io.locusfs.policy.Policy;
import io.locusfs.policy.PolicyException;
import io.locusfs.replicate.ReplicationConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import org.tomlj.Toml;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "config",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        header = "Check configuration files.",
        description = {
            "LocusFS reads three kinds of TOML file: a store's own STORE/locusfs.toml (snapshot schedule and "
                + "retention), a replication config (mount --replicate, replicate --config) and a location "
                + "policy (mount --policy). 'config check' checks any of them offline, as the daemon would.",
            "",
            "Examples:",
            "  locusfs config check /srv/store/locusfs.toml",
            "  locusfs config check /etc/locusfs/replication.toml",
            "  locusfs config check --kind policy /etc/locusfs/policy.toml"},
        subcommands = {ConfigCommand.Check.class})
final class ConfigCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (check)");
    }

    @Command(name = "check", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            header = "Check a store config, a replication config or a policy, offline.",
            description = {
                "Reads FILE as the daemon would and prints every problem, sorted by line, as "
                    + "FILE:LINE:COLUMN: what is wrong. The kind of file is told by its tables ([snapshots]: a "
                    + "store config; [replication], [tls], [[mirror]]: a replication config; [[access]], "
                    + "[[placement]], [groups], [claims]: a policy), or given with --kind."},
            footerHeading = "%nExit status:%n", footer = {"  0  valid", "  1  it has problems (listed on stderr)"})
    static final class Check implements Callable<Integer> {
        private static final Set<String> REPLICATION = Set.of("replication", "tls", "mirror");
        private static final Set<String> POLICY = Set.of("access", "placement", "groups", "claims", "version");

        @Parameters(paramLabel = "FILE", description = "The file to check.")
        Path file;

        @Option(names = "--kind", paramLabel = "KIND", description = "store, replication or policy (default: told by the file's tables).")
        String kind;

        @Override
        public Integer call() throws IOException {
            try {
                String text = ConfigFields.readUtf8(file);
                String k = kind != null ? kind.toLowerCase(Locale.ROOT) : kindOf(text);
                switch (k) {
                    case "store" -> {
                        StoreConfig c = StoreConfig.parse(file, text);
                        System.out.println(file + ": valid store config: " + (c.every().isZero() ? "no scheduled snapshots"
                                : "a snapshot every " + c.every().toString().substring(2).toLowerCase(Locale.ROOT)));
                    }
                    case "replication" -> {
                        ReplicationConfig c = ReplicationConfig.parse(file, text);
                        System.out.println(file + ": valid replication config: " + c.mirrors().size() + " mirror(s)");
                    }
                    case "policy" -> {
                        Policy p = PolicyCommand.checkOrThrow(file);
                        System.out.println(file + ": valid policy: " + p.accessRules().size() + " access rules, "
                                + p.placementRules().size() + " placement rules");
                    }
                    default -> throw new IllegalArgumentException("unknown --kind '" + kind + "' (store, replication or policy)");
                }
                return 0;
            } catch (ConfigFields.Invalid e) {
                return problems(List.of(e.getMessage().split("\n")));
            } catch (PolicyException e) {
                return problems(e.problems());
            }
        }

        private int problems(List<String> problems) {
            problems.forEach(System.err::println);
            System.err.println(file + ": " + problems.size() + " problem(s); the daemon would refuse it and keep its previous configuration");
            return 1;
        }

        /** The kind of configuration {@code text} is, from its top-level names; a store config if none tells. */
        private String kindOf(String text) {
            Set<String> names = Toml.parse(text).keySet();
            if (names.stream().anyMatch(REPLICATION::contains)) {
                return "replication";
            }
            if (names.stream().anyMatch(POLICY::contains)) {
                return "policy";
            }
            return "store";
        }
    }
}
