package io.locusfs.cli;

import io.locusfs.replicate.BucketLink;
import io.locusfs.replicate.MirrorLink;
import io.locusfs.replicate.TlsMirrorLink;
import io.locusfs.xattr.NodeIdentity;
import java.io.IOException;

import io.locusfs.replicate.ReplicationConfig;
import io.locusfs.replicate.Tls;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Which mirror to read from, for the commands that read from one ('restore', 'mount --from'):
 * {@code --from MIRROR[:SNAPSHOT]}, MIRROR being a [[mirror]] of the replication config the
 * command was given or HOST:PORT with this node's TLS files.
 */
final class MirrorSource {
    @Option(names = "--from", paramLabel = "MIRROR[:SNAPSHOT]",
            description = "The mirror (a [[mirror]] name in the replication config, or HOST:PORT) and its snapshot (default: its newest).")
    String from;

    @Option(names = "--tls-cert", paramLabel = "FILE", description = "This node's certificate (PEM), for a HOST:PORT mirror.")
    Path cert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "Its private key (PEM, PKCS#8).")
    Path key;

    @Option(names = "--ca", paramLabel = "FILE", description = "The CA the mirror's certificate must chain to (PEM).")
    Path ca;

    /**
     * A mirror to connect to: where, which snapshot (null: its newest), with which TLS files, or
     * the bucket of an object-store mirror (then {@code tls} is null); {@code name} for messages.
     */
    record Resolved(String name, String host, int port, String snapshot, Tls tls, ReplicationConfig.Bucket bucket) {
        String describe() {
            return bucket != null ? "mirror " + name + " (bucket " + bucket.name() + " at " + bucket.endpoint() + ")"
                    : name.equals(host + ":" + port) ? "mirror " + name : "mirror " + name + " (" + host + ":" + port + ")";
        }

        /** A link to the mirror: over TLS, or to its bucket (whose fetched streams {@code identity} signs; null: a key of this process). */
        MirrorLink open(NodeIdentity identity) throws IOException {
            return bucket != null ? new BucketLink(bucket, identity) : new TlsMirrorLink(tls.context(), host, port, CONNECT_TIMEOUT_MILLIS);
        }
    }

    private static final int CONNECT_TIMEOUT_MILLIS = 30_000;

    /**
     * Resolves {@code --from} with {@code config} (which may be null, when {@code configOption}
     * was not given): a mirror's name there, else HOST:PORT; a colon after either names the snapshot.
     */
    Resolved resolve(ReplicationConfig config, String configOption) {
        if (from == null) {
            throw new IllegalArgumentException("--from MIRROR[:SNAPSHOT] is missing");
        }
        String mirrorName = from;
        String snapshot = null;
        ReplicationConfig.Mirror mirror = config == null ? null : named(config, from);
        int colon = from.lastIndexOf(':');
        if (mirror == null && colon > 0 && !isPort(from.substring(colon + 1))) {
            mirrorName = from.substring(0, colon);
            snapshot = from.substring(colon + 1);
            mirror = config == null ? null : named(config, mirrorName);
        }
        if (mirror != null && mirror.bucket() != null) {
            return new Resolved(mirrorName, mirror.host(), mirror.port(), snapshot, null, mirror.bucket());
        }
        String host;
        int port;
        if (mirror != null) {
            host = mirror.host();
            port = mirror.port();
        } else {
            int at = mirrorName.lastIndexOf(':');
            if (at <= 0 || !isPort(mirrorName.substring(at + 1))) {
                throw new IllegalArgumentException("--from " + from + ": " + (config == null
                        ? "give HOST:PORT[:SNAPSHOT], or a mirror's name with " + configOption + " CONFIG"
                        : "no mirror named '" + mirrorName + "' in " + config.file() + ", and not HOST:PORT"));
            }
            host = mirrorName.substring(0, at);
            port = Integer.parseInt(mirrorName.substring(at + 1));
        }
        Tls tls = cert != null || key != null || ca != null ? new Tls(required(cert, "--tls-cert"), required(key, "--tls-key"),
                required(ca, "--ca"), null) : config != null ? config.tls() : null;
        if (tls == null) {
            throw new IllegalArgumentException("the TLS files are missing: give " + configOption
                    + " CONFIG, or --tls-cert, --tls-key and --ca");
        }
        return new Resolved(mirrorName, host, port, snapshot, tls, null);
    }

    /** The options, naming {@code snapshot}, to pass on to a daemon that reads from the same mirror. */
    List<String> arguments(String snapshot) {
        int colon = from.lastIndexOf(':');
        String mirror = colon > 0 && !isPort(from.substring(colon + 1)) ? from.substring(0, colon) : from;
        List<String> args = new ArrayList<>(List.of("--from", mirror + ":" + snapshot));
        if (cert != null) {
            args.addAll(List.of("--tls-cert", cert.toAbsolutePath().toString(), "--tls-key", key.toAbsolutePath().toString(),
                    "--ca", ca.toAbsolutePath().toString()));
        }
        return args;
    }

    private static ReplicationConfig.Mirror named(ReplicationConfig config, String name) {
        return config.mirrors().stream().filter(m -> m.name().equals(name)).findFirst().orElse(null);
    }

    private static boolean isPort(String text) {
        return text.matches("[0-9]{1,5}");
    }

    private static Path required(Path file, String option) {
        if (file == null) {
            throw new IllegalArgumentException(option + " is missing: a HOST:PORT mirror needs --tls-cert, --tls-key and --ca");
        }
        return file;
    }
}
