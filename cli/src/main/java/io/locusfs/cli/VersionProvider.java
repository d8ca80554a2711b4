package io.locusfs.cli;

import io.locusfs.replicate.Frames;
import io.locusfs.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;

/**
 * {@code locusfs --version}: the build version (filtered into locusfs-version.properties by
 * Maven) and the versions of the formats it reads and writes, so that an administrator can tell
 * whether two nodes or a store and a binary go together.
 */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
        Properties p = new Properties();
        try (InputStream in = VersionProvider.class.getResourceAsStream("/locusfs-version.properties")) {
            if (in != null) {
                p.load(in);
            }
        }
        return new String[] {
            "locusfs " + p.getProperty("version", "unknown"),
            "store format: writes " + Store.FORMAT_VERSION + ", reads 1 to " + Store.FORMAT_VERSION
                + " (an older store is upgraded when opened for writing)",
            "replication stream: version " + Frames.VERSION + " (send and receive)",
            "Java " + System.getProperty("java.version") + ", " + System.getProperty("os.arch")};
    }
}
