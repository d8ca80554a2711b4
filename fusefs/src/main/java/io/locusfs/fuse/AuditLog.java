package io.locusfs.fuse;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit trail of refusals, and of opens that rules over groups of people allowed (whose
 * claims allowed them): one JSON object per line, appended and flushed as each happens. Fields: {@code time} (ISO-8601), {@code uid}, {@code user}, {@code pid},
 * {@code operation}, {@code path}, {@code caller} (the caller's zone, null when unknown),
 * {@code file} (the file's zone, null when unknown), {@code decision} ("refused" or "allowed"), {@code rule}
 * (the rule that decided), {@code reason}. Thread-safe.
 */
public final class AuditLog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AuditLog.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final OutputStream out;

    public AuditLog(Path file) throws IOException {
        this.file = file;
        this.out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    }

    Path file() {
        return file;
    }

    /** One decision. */
    record Entry(long uid, String user, long pid, String operation, String path, String caller, String file,
                 String rule, String reason) {
    }

    synchronized void write(Entry e, String decision) {
        ObjectNode line = JSON.createObjectNode();
        line.put("time", Instant.now().toString());
        line.put("uid", e.uid());
        line.put("user", e.user());
        line.put("pid", e.pid());
        line.put("operation", e.operation());
        line.put("path", e.path());
        line.put("caller", e.caller());
        line.put("file", e.file());
        line.put("decision", decision);
        line.put("rule", e.rule());
        line.put("reason", e.reason());
        try {
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException ex) {
            log.error("cannot write the audit log {}: {}", file, ex.getMessage());
        }
    }

    @Override
    public synchronized void close() throws IOException {
        out.close();
    }
}
