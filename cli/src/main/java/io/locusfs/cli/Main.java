package io.locusfs.cli;

import io.locusfs.store.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** The {@code locusfs} command: the entry point of the launcher. */
@Command(name = "locusfs",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        header = "A location-aware filesystem on RocksDB, mounted with FUSE.",
        description = {
            "LocusFS keeps files in a RocksDB store, serves them through a FUSE mount, and knows "
                + "where every file physically lives.",
            "",
            "Typical use:",
            "  locusfs init /srv/store --location eu/gb/london/hq",
            "  locusfs mount /srv/store /mnt/locus",
            "  locusfs umount /mnt/locus",
            "  locusfs fsck /srv/store",
            "  getfattr -n user.location /mnt/locus/file",
            "  locusfs where /mnt/locus/file; locusfs verify /mnt/locus/file",
            "  locusfs snapshot create /srv/store monday; ls /mnt/locus/.snapshots/monday",
            "  locusfs mount /srv/store /mnt/locus --policy /etc/locusfs/policy.toml"},
        footerHeading = "%nExit status:%n",
        footer = {"  0  success", "  1  the operation failed (the message says why)",
            "  2  invalid command line", "",
            "Run 'locusfs COMMAND --help' for the options of one command."},
        subcommands = {InitCommand.class, MountCommand.class, UmountCommand.class, FsckCommand.class,
            LocationCommand.class, WhereCommand.class, VerifyCommand.class, SnapshotCommand.class,
            PolicyCommand.class, ClaimCommand.class, AuthorityCommand.class, ExportCommand.class, ImportCommand.class,
            FormatsCommand.class, SendCommand.class, ReceiveCommand.class, RestoreCommand.class, MirrorCommand.class, ReplicateCommand.class, CheckCommand.class,
            StatusCommand.class, ConfigCommand.class, ResidencyCommand.class,
            CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        if (System.getenv("LOCUSFS_LOG_LEVEL") == null && !runsAsDaemon(args)) {
            // A command prints its own result; its INFO lines would say it twice (logback.xml reads this).
            System.setProperty("LOCUSFS_LOG_LEVEL", "WARN");
        }
        if (args.length >= 2 && !commandLine().getSubcommands().containsKey(args[0])
                && Files.isRegularFile(Path.of(args[0]).resolve(Store.MARKER_FILE))) {
            // What mount.fuse3 runs for 'mount -t fuse.locusfs STORE MOUNTPOINT': STORE MOUNTPOINT -o OPTIONS.
            System.err.println("locusfs: " + args[0] + " is a store, not a command; to mount it through mount(8) or "
                    + "/etc/fstab use the type locusfs ('mount -t locusfs " + args[0] + " " + args[1]
                    + "', see mount.locusfs(8)), not fuse.locusfs; or run 'locusfs mount " + args[0] + " " + args[1] + "'");
            System.exit(2);
        }
        System.exit(commandLine().execute(args));
    }

    /** The long-running processes, whose log is their record: a mount in the foreground, replicate, mirror serve. */
    static boolean runsAsDaemon(String[] args) {
        List<String> words = List.of(args);
        return !words.isEmpty() && (words.get(0).equals("replicate") || words.get(0).equals("mirror")
                || words.get(0).equals("mount") && words.contains("--foreground"));
    }

    /** The configured command line, for the launcher and for tests. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            // "locusfs snapshot list: …": the command as typed, subcommands included.
            commandLine.getErr().println(commandLine.getCommandSpec().qualifiedName() + ": " + Failures.describe(e));
            return 1;
        });
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }
}
