package io.locusfs.cli;

import io.locusfs.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;

/** Reports the build version (filtered into locusfs-version.properties by Maven) and the store format. */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
        Properties p = new Properties();
        try (InputStream in = VersionProvider.class.getResourceAsStream("/locusfs-version.properties")) {
            if (in != null) {
                p.load(in);
            }
        }
        return new String[] {"locusfs " + p.getProperty("version", "unknown") + " (store format "
                + Store.FORMAT_VERSION + ", Java " + System.getProperty("java.version") + ")"};
    }
}
