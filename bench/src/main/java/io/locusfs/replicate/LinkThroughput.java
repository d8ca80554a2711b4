package io.locusfs.replicate;

import java.nio.file.Path;

/**
 * The throughput of the mirror link itself: a file of a mirror's snapshot read whole with far
 * reads of 8 MiB over one TLS connection (the TLS stack, the mirror's reads and the protocol a
 * far mount uses), the bytes dropped on arrival. What 'mount --from' reads through is this link
 * plus FUSE and the cache store; bench/far.sh prints it as a share of this.
 *   java -cp bench/target/classes:cli/target/locusfs.jar:cli/target/lib/* io.locusfs.replicate.LinkThroughput \
 *       HOST PORT CERT KEY CA SNAPSHOT PATH
 * prints: BYTES SECONDS
 */
public final class LinkThroughput {
    private LinkThroughput() {
    }

    public static void main(String[] args) throws Exception {
        Tls tls = new Tls(Path.of(args[2]), Path.of(args[3]), Path.of(args[4]), null);
        try (TlsMirrorLink link = new TlsMirrorLink(tls.context(), args[0], Integer.parseInt(args[1]), 30_000)) {
            byte[] buffer = new byte[FarReads.MAX_LENGTH];
            link.read(args[5], args[6], 0, buffer, 1); // the handshake, outside the timing
            long start = System.nanoTime();
            long offset = 0;
            for (int n; (n = link.read(args[5], args[6], offset, buffer, buffer.length)) > 0; ) {
                offset += n;
            }
            System.out.println(offset + " " + (System.nanoTime() - start) / 1e9);
        }
    }
}
