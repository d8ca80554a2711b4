package io.locusfs.cli;

import io.locusfs.xattr.NodeIdentity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "authority",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        header = "Manage the key of a location authority (who may sign claims).",
        description = {"See 'locusfs authority init --help' and 'locusfs claim --help'."},
        subcommands = {AuthorityCommand.Init.class})
final class AuthorityCommand implements Runnable {
    static final String PRIVATE_KEY = "authority.key";
    static final String PUBLIC_KEY = "authority.pub";

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (init)");
    }

    @Command(name = "init", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            header = "Make a location authority's Ed25519 key pair.",
            description = {
                "Writes DIR/authority.key (mode 0600: keep it where only the authority can read it) and "
                    + "DIR/authority.pub. Policies that should believe this authority's claims list the "
                    + "public key: [claims] authorities = [\"DIR/authority.pub\"].",
                "",
                "Example:",
                "  locusfs authority init /etc/locusfs/authority"})
    static final class Init implements Callable<Integer> {
        @Parameters(paramLabel = "DIR", description = "Directory for the key pair (created if missing).")
        Path dir;

        @Override
        public Integer call() throws Exception {
            Files.createDirectories(dir);
            if (Files.exists(dir.resolve(PRIVATE_KEY))) {
                throw new IllegalArgumentException(dir.resolve(PRIVATE_KEY) + " already exists; an authority key is never replaced silently");
            }
            NodeIdentity key = NodeIdentity.create(dir.resolve(PRIVATE_KEY), dir.resolve(PUBLIC_KEY));
            System.out.println("authority " + key.nodeId() + ": private key " + dir.resolve(PRIVATE_KEY) + ", public key "
                    + dir.resolve(PUBLIC_KEY));
            System.out.println("trust it in a policy with: [claims] authorities = [\"" + dir.resolve(PUBLIC_KEY).toAbsolutePath() + "\"]");
            return 0;
        }
    }
}
