package io.locusfs.translate;

import io.locusfs.tree.SnapshotTree;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteConnection;

/**
 * The {@code sqlite} format, an application translator: imports a live SQLite database
 * consistently through SQLite's online backup API (a copy of one committed state, however busy
 * the writers; never a torn copy of the file), and exports a database file kept in a snapshot
 * back out as a file {@code sqlite3} opens. Both ends are checked with
 * {@code PRAGMA integrity_check}.
 */
public final class SqliteTranslator implements Translator {
    /** While a writer holds the database locked, the backup waits this long between tries, up to this many tries. */
    private static final int BACKUP_RETRY_MILLIS = 100;
    private static final int BACKUP_RETRIES = 300;

    @Override
    public String name() {
        return "sqlite";
    }

    @Override
    public String description() {
        return "SQLite database: live import through the online backup API, export of a snapshot's database file";
    }

    @Override
    public Set<Capability> capabilities() {
        return EnumSet.of(Capability.EXPORT, Capability.IMPORT);
    }

    @Override
    public void export(ExportJob job) throws IOException {
        SnapshotTree.Node root = job.tree().root();
        if (root.kind() != SnapshotTree.Kind.FILE) {
            throw new TranslationException("an sqlite export is one database file: give its path with --path");
        }
        try (InputStream data = root.content().open()) {
            Files.copy(data, job.output());
        }
        job.progress().advance(1, root.size());
    }

    @Override
    public void verify(ExportJob job) throws IOException {
        check(job.output());
    }

    /**
     * Opens {@code file} as a database and runs {@code PRAGMA integrity_check}.
     *
     * @throws TranslationException when it is not a database or not intact
     */
    static void check(Path file) throws TranslationException {
        try (Connection db = open(file, true); Statement statement = db.createStatement();
             ResultSet result = statement.executeQuery("PRAGMA integrity_check")) {
            String verdict = result.next() ? result.getString(1) : "no answer";
            if (!"ok".equals(verdict)) {
                throw new TranslationException(file + " is a damaged SQLite database: " + verdict);
            }
        } catch (SQLException e) {
            throw new TranslationException(file + " is not an SQLite database: " + e.getMessage(), e);
        }
    }

    private static Connection open(Path file, boolean readOnly) throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.setReadOnly(readOnly);
        config.setBusyTimeout(10_000);
        return DriverManager.getConnection("jdbc:sqlite:" + file, config.toProperties());
    }

    @Override
    public void importInto(ImportJob job) throws IOException {
        Path input = job.input();
        if (!Files.isRegularFile(input)) {
            throw new TranslationException(input + " is not a file");
        }
        Path copy = Files.createTempFile("locusfs-sqlite-", ".db");
        try {
            check(input);
            try (Connection db = open(input, true)) {
                // The online backup API in one step (-1 pages): every page is copied under one read
                // transaction, so the copy is one committed state and a busy writer cannot make it restart forever.
                int status = db.unwrap(SQLiteConnection.class).getDatabase()
                        .backup("main", copy.toString(), null, BACKUP_RETRY_MILLIS, BACKUP_RETRIES, -1);
                if (status != 0) {
                    throw new TranslationException(input + ": the online backup failed with SQLite status " + status);
                }
            } catch (SQLException e) {
                throw new TranslationException(input + ": the online backup failed: " + e.getMessage(), e);
            }
            check(copy);
            Map<String, Object> unix = Files.readAttributes(input, "unix:*", LinkOption.NOFOLLOW_LINKS);
            long now = System.currentTimeMillis() * 1_000_000L;
            SnapshotTree.Node node = new SnapshotTree.Node(input.getFileName().toString(), SnapshotTree.Kind.FILE,
                    (Integer) unix.get("mode") & 07777, (Integer) unix.get("uid"), (Integer) unix.get("gid"), now, now, now,
                    Files.size(copy), null, 0, new LinkedHashMap<>(), null, null, null, null);
            try (InputStream data = Files.newInputStream(copy)) {
                job.target().add(node, data);
            }
            job.progress().advance(1, node.size());
        } finally {
            Files.deleteIfExists(copy);
        }
    }
}
