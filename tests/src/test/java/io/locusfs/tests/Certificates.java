package io.locusfs.tests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A test CA made with the packaged {@code locusfs-tls} script (openssl), and certificates from it. */
final class Certificates {
    static final String SCRIPT = MountedStore.HOME.resolve("packaging/bin/locusfs-tls").toString();
    final Path dir;

    private Certificates(Path dir) {
        this.dir = dir;
    }

    /** A new CA in a temporary directory, with a certificate for each of {@code names}. */
    static Certificates authority(String... names) {
        try {
            Path dir = Files.createTempDirectory("locusfs-ca");
            Shell.ok(SCRIPT + " init " + dir);
            Certificates ca = new Certificates(dir);
            for (String name : names) {
                ca.issue(name);
            }
            return ca;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    void issue(String name) {
        Shell.ok(SCRIPT + " issue " + dir + " " + name);
    }

    void revoke(String name) {
        Shell.ok(SCRIPT + " revoke " + dir + " " + name);
    }

    /** The [tls] table of a replication config that presents certificate {@code name} and trusts {@code ca}'s CA. */
    String tlsTable(String name, Certificates trusted) {
        return "[tls]\ncert = \"" + dir.resolve(name + ".crt") + "\"\nkey = \"" + dir.resolve(name + ".key") + "\"\nca = \""
                + trusted.dir.resolve("ca.crt") + "\"\n";
    }

    void delete() {
        Shell.run("rm -rf " + dir);
    }
}
