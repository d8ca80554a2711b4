package io.locusfs.daemon;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.locusfs.fuse.PolicyGate;
import io.locusfs.residency.ResidencySummary;
import io.locusfs.store.Diff;
import io.locusfs.translate.Translation;
import io.locusfs.wire.JsonLines;

/**
 * What {@code locusfs} and a running mount say over the control socket {@code STORE/control.sock}
 * (mode 0600: root or the store's owner): JSON lines ({@link JsonLines}), the same
 * style as the mirror protocol.
 *
 * <p>The client sends one request, an object whose {@code command} names it and whose other
 * fields are its arguments (the records below, field for field; file names as JSON strings, raw
 * bytes as base64). The daemon answers with zero or more progress lines, then exactly one last
 * line:
 * <ul>
 *   <li>{@code {"total":{"files":F,"bytes":B}}}: a long job's size, once known (export, import);</li>
 *   <li>{@code {"progress":{"files":F,"bytes":B}}}: work done since the last such line, at most
 *       four a second;</li>
 *   <li>{@code {"ok":ANSWER}}: the request's answer, the JSON form of its answer type;</li>
 *   <li>{@code {"error":"MESSAGE"}}: refused or failed, with the message for the user.</li>
 * </ul>
 * Example: {@code {"command":"snapshot-delete","name":"s1"}} answered
 * {@code {"ok":{"versions":12,"blockBytes":49152,"diskBefore":1048576,"diskAfter":999424}}}.
 */
public final class ControlProtocol {
    public static final String SOCKET_FILE = "control.sock";
    /** Longest request the daemon reads: requests are small; anything longer is refused. */
    static final int MAX_REQUEST = 64 * 1024;

    private ControlProtocol() {
    }

    /** A request and the type of its answer. */
    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "command")
    @JsonSubTypes({
        @JsonSubTypes.Type(value = Info.class, name = "info"),
        @JsonSubTypes.Type(value = WhereZone.class, name = "where-zone"),
        @JsonSubTypes.Type(value = Relabel.class, name = "relabel"),
        @JsonSubTypes.Type(value = History.class, name = "history"),
        @JsonSubTypes.Type(value = Attribute.class, name = "attribute"),
        @JsonSubTypes.Type(value = PolicyExplain.class, name = "policy-explain"),
        @JsonSubTypes.Type(value = Copies.class, name = "copies"),
        @JsonSubTypes.Type(value = PolicyReload.class, name = "policy-reload"),
        @JsonSubTypes.Type(value = Export.class, name = "export"),
        @JsonSubTypes.Type(value = Import.class, name = "import"),
        @JsonSubTypes.Type(value = SnapshotCreate.class, name = "snapshot-create"),
        @JsonSubTypes.Type(value = SnapshotList.class, name = "snapshot-list"),
        @JsonSubTypes.Type(value = SnapshotDelete.class, name = "snapshot-delete"),
        @JsonSubTypes.Type(value = SnapshotDiff.class, name = "snapshot-diff"),
        @JsonSubTypes.Type(value = SnapshotRollback.class, name = "snapshot-rollback"),
        @JsonSubTypes.Type(value = SnapshotThin.class, name = "snapshot-thin"),
        @JsonSubTypes.Type(value = Residency.class, name = "residency")})
    public sealed interface Request<A> {
        /** The Java type of the answer, as the client decodes it. */
        @JsonIgnore
        Class<A> answerType();
    }

    /** Which store, node and zone the daemon serves. */
    public record Info() implements Request<StoreInfo> {
        public Class<StoreInfo> answerType() {
            return StoreInfo.class;
        }
    }

    public record StoreInfo(String storeId, String node, String zone) {
    }

    /**
     * The files whose data lives in a zone matching {@code pattern}, each by its path from the
     * store's root (one char per byte of the raw name).
     */
    public record WhereZone(String pattern) implements Request<String[]> {
        public Class<String[]> answerType() {
            return String[].class;
        }
    }

    /** Moves the whole store; answers the node that signed the new record. Empty strings leave out coordinates and label. */
    public record Relabel(String zone, String coordinates, String label) implements Request<String> {
        public Class<String> answerType() {
            return String.class;
        }
    }

    /** The store's signed location records, oldest first, each in its text form. */
    public record History() implements Request<String[]> {
        public Class<String[]> answerType() {
            return String[].class;
        }
    }

    /**
     * A location attribute of any kind of file by path (the kernel shows {@code user.*} only on
     * regular files and directories, so FIFOs, sockets, devices and symlinks are asked here); null
     * when it is not set.
     */
    public record Attribute(String path, String name) implements Request<byte[]> {
        public Class<byte[]> answerType() {
            return byte[].class;
        }
    }

    /**
     * The policy's decisions for {@code user} at {@code zone}/{@code coordinates} (empty: the
     * node's own) on {@code path}: lines {@code policy}, {@code caller}, {@code file}, then
     * {@code read}, {@code write}, {@code placement}, each {@code KEY<TAB>allowed|refused<TAB>RULE<TAB>REASON}
     * ({@code PolicyGate#explain}).
     */
    public record PolicyExplain(String user, String zone, String coordinates, String path) implements Request<String[]> {
        public Class<String[]> answerType() {
            return String[].class;
        }
    }

    /**
     * Every copy of the file at {@code path}, ranked for {@code user} reading from {@code zone}
     * and {@code coordinates} (empty: where a claim puts the user, else the node); the lines of
     * {@code PolicyGate#copies}.
     */
    public record Copies(String user, String zone, String coordinates, String path) implements Request<String[]> {
        public Class<String[]> answerType() {
            return String[].class;
        }
    }

    /** Reloads the policy now, as SIGHUP does; answers a line saying what is in force. */
    public record PolicyReload() implements Request<String> {
        public Class<String> answerType() {
            return String.class;
        }
    }

    /** Exports a snapshot (see {@link TranslationRequests}); {@code since} null for a full export. */
    public record Export(String format, String snapshot, String since, String subtree, String output)
            implements Request<Translation.Summary> {
        public Class<Translation.Summary> answerType() {
            return Translation.Summary.class;
        }
    }

    /** Imports a file or directory into the live tree, and takes {@code snapshot} (null: none) after. */
    public record Import(String format, String input, String into, String snapshot) implements Request<Translation.Summary> {
        public Class<Translation.Summary> answerType() {
            return Translation.Summary.class;
        }
    }

    /** {@link SnapshotOperations#create}; {@code timeNanos} 0 for now. */
    public record SnapshotCreate(String name, long timeNanos, boolean manual, boolean hooks)
            implements Request<SnapshotOperations.Created> {
        public Class<SnapshotOperations.Created> answerType() {
            return SnapshotOperations.Created.class;
        }
    }

    public record SnapshotList() implements Request<SnapshotOperations.Listing> {
        public Class<SnapshotOperations.Listing> answerType() {
            return SnapshotOperations.Listing.class;
        }
    }

    public record SnapshotDelete(String name) implements Request<SnapshotOperations.Deleted> {
        public Class<SnapshotOperations.Deleted> answerType() {
            return SnapshotOperations.Deleted.class;
        }
    }

    /** {@code to} null: against the live tree. Paths in the answer are raw bytes (base64 on the wire). */
    public record SnapshotDiff(String from, String to) implements Request<Diff.Change[]> {
        public Class<Diff.Change[]> answerType() {
            return Diff.Change[].class;
        }
    }

    /** Answers the number of keys restored. */
    public record SnapshotRollback(String name, boolean force) implements Request<Long> {
        public Class<Long> answerType() {
            return Long.class;
        }
    }

    /** {@code nowNanos} 0 for now. */
    public record SnapshotThin(long nowNanos, boolean dryRun) implements Request<SnapshotOperations.Thinned[]> {
        public Class<SnapshotOperations.Thinned[]> answerType() {
            return SnapshotOperations.Thinned[].class;
        }
    }

    /**
     * Writes a residency report on {@code paths} (inside the mount, "/" based) to {@code output}
     * ({@code form} json or html), over {@code since}..{@code until} (ISO-8601 instants; null:
     * unbounded), judged by the mount's policy, signed by its node key; answers its summary.
     */
    public record Residency(java.util.List<String> paths, String since, String until, String form, String output)
            implements Request<ResidencySummary> {
        public Class<ResidencySummary> answerType() {
            return ResidencySummary.class;
        }
    }

    /** A long job's size or its progress since the last line. */
    public record Amount(long files, long bytes) {
    }
}
