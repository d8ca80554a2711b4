package io.locusfs.cli;

import io.locusfs.daemon.ControlClient;
import io.locusfs.replicate.MirrorServer;
import io.locusfs.replicate.Replicator;
import io.locusfs.replicate.Tls;
import io.locusfs.store.Store;
import io.locusfs.xattr.NodeIdentity;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "mirror",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        header = "Run a mirror that other LocusFS nodes replicate to; make an object-store mirror's keys.",
        description = {"See 'locusfs mirror serve --help' and 'locusfs mirror key --help'."},
        subcommands = {MirrorCommand.Serve.class, MirrorCommand.Key.class})
final class MirrorCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (serve, key)");
    }

    @Command(name = "key",
            mixinStandardHelpOptions = true,
            versionProvider = VersionProvider.class,
            header = "Add an encryption key for an object-store mirror (a rotation when the file holds keys).",
            description = {
                "Writes a new random 256-bit key at the top of FILE (made with mode 0600 if it does not exist): "
                    + "the key an object-store mirror ([[mirror]] with type = \"s3\" and key = FILE) encrypts "
                    + "everything it stores with from now on. The keys already in FILE stay, to read what they "
                    + "encrypted; a running daemon sees the change within a heartbeat.",
                "",
                "Revoking a key is deleting its line: what only that key protected can then not be read by "
                    + "anyone, since keys are never stored in the bucket; the daemon stops using it and sends "
                    + "the newest snapshot again, whole, under the remaining key. Keep a copy of FILE somewhere safe: "
                    + "without it nothing in the bucket can be restored.",
                "",
                "Examples:",
                "  locusfs mirror key /etc/locusfs/bucket-fra.key"},
            footerHeading = "%nExit status:%n",
            footer = {"  0  the key was added", "  1  FILE could not be written, or holds something that is not a key"})
    static final class Key implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FILE", description = "The mirror's key file.")
        Path file;

        @Override
        public Integer call() throws Exception {
            int before = java.nio.file.Files.isRegularFile(file) ? io.locusfs.replicate.BucketKeys.load(file).ids().size() : 0;
            String id = io.locusfs.replicate.BucketKeys.addKey(file);
            System.out.println("added key " + id + " to " + file + ": it encrypts from now on"
                    + (before == 0 ? "" : " (" + before + " older key" + (before == 1 ? "" : "s") + " kept for reading)"));
            return 0;
        }
    }

    @Command(name = "serve",
            mixinStandardHelpOptions = true,
            versionProvider = VersionProvider.class,
            sortOptions = false,
            header = "Accept replication streams over TLS into a store.",
            description = {
                "Listens on --listen for senders ('locusfs replicate', 'locusfs mount --replicate') and applies "
                    + "their streams to STORE, a mirror, as 'locusfs receive' does: every frame checked, all or "
                    + "nothing, placement checked against this store's zone (and --policy), replicas stamped with "
                    + "this store's location and their provenance kept. Runs in the foreground until SIGTERM or "
                    + "Ctrl-C; a stream cut off by a stop resumes when the sender comes back.",
                "",
                "TLS 1.3 (Conscrypt) with certificates on both ends: a sender must present a certificate issued by "
                    + "--client-ca and not revoked in --crl; any other is refused during the handshake, before a "
                    + "byte of data. The files are read again when they change (a new CRL applies to the next "
                    + "connection). docs/GUIDE.md ('TLS certificates') shows how to make them with openssl.",
                "",
                "With --replicate CONFIG the mirror also replicates onward what it receives (origin -> A -> B); "
                    + "B's files then record both hops.",
                "",
                "Examples:",
                "  locusfs mirror serve /srv/replica --listen 0.0.0.0:7443 \\",
                "      --tls-cert /etc/locusfs/tls/mirror.crt \\",
                "      --tls-key /etc/locusfs/tls/mirror.key \\",
                "      --client-ca /etc/locusfs/tls/ca.crt --crl /etc/locusfs/tls/ca.crl"},
            footerHeading = "%nExit status:%n",
            footer = {"  0  stopped by a signal", "  1  could not start (the message says why)"})
    static final class Serve implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "STORE", description = "The mirror's store (made with 'locusfs init', not mounted).")
        Path store;

        @Option(names = "--listen", required = true, paramLabel = "HOST:PORT", description = "Address to listen on.")
        String listen;

        @Option(names = "--tls-cert", required = true, paramLabel = "FILE", description = "This mirror's certificate (PEM).")
        Path cert;

        @Option(names = "--tls-key", required = true, paramLabel = "FILE", description = "Its private key (PEM, PKCS#8).")
        Path key;

        @Option(names = "--client-ca", required = true, paramLabel = "FILE", description = "The CA senders' certificates must chain to (PEM).")
        Path clientCa;

        @Option(names = "--crl", paramLabel = "FILE", description = "The CA's certificate revocation list (PEM): revoked senders are refused.")
        Path crl;

        @Option(names = "--policy", paramLabel = "FILE", description = "This store's policy: received files must satisfy its placement rules too.")
        Path policy;

        @Option(names = "--replicate", paramLabel = "CONFIG", description = "Replicate this store onward to the mirrors in CONFIG.")
        Path replicate;

        @picocli.CommandLine.Mixin
        StoreMemoryOptions memory;

        @Override
        public Integer call() throws Exception {
            int colon = listen.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("--listen must be HOST:PORT, e.g. 127.0.0.1:7443");
            }
            InetSocketAddress address = new InetSocketAddress(listen.substring(0, colon), Integer.parseInt(listen.substring(colon + 1)));
            if (ControlClient.ifMounted(store).isPresent()) {
                throw new IllegalArgumentException(store + " is mounted; a mirror's store is served unmounted");
            }
            // Bulk: receives sync at their checkpoints.
            Store opened = Store.open(store, memory.options(StoreMemoryOptions.MIRROR_BLOCK_CACHE).asBulk());
            MirrorServer server;
            Replicator onward = null;
            try {
                server = new MirrorServer(opened, Policies.load(policy), new Tls(cert, key, clientCa, crl), address);
                if (replicate != null) {
                    onward = new Replicator(opened, NodeIdentity.load(store), replicate);
                    onward.start();
                }
            } catch (Exception e) {
                opened.close();
                throw e;
            }
            CountDownLatch stopped = new CountDownLatch(1);
            Replicator replicator = onward;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    server.close();
                    if (replicator != null) {
                        replicator.close();
                    }
                    opened.close();
                    System.err.println("mirror stopped; store " + store + " closed");
                } catch (Exception e) {
                    System.err.println("stopping the mirror: " + e.getMessage());
                } finally {
                    stopped.countDown();
                }
            }, "mirror-shutdown"));
            server.start();
            System.err.println("mirror serving " + store + " (zone " + opened.location().zone() + ") on "
                    + server.address().getAddress().getHostAddress() + ":" + server.address().getPort() + " with TLS 1.3");
            stopped.await();
            return 0;
        }
    }
}
