package io.locusfs.residency;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import io.locusfs.wire.JsonLines;
import io.locusfs.xattr.LocationRecord;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Checks a residency report offline with nothing but the report and trusted public keys: the
 * signature over every byte; every location record it cites (signed by a trusted key, and saying
 * what the copy says); every hop of a file's provenance (each signed by a trusted key, one origin,
 * in time order); and the summary against the entries. Reads the report as a stream, so its size
 * does not bound what can be checked. Every problem is reported, each saying what and where.
 */
public final class ResidencyVerifier {
    /** At most this many problems are listed; the count says how many more there were. */
    static final int MAX_LISTED = 100;

    /** The outcome: the summary as recomputed, and the problems (none: the report checks out). */
    public record Result(String signer, ResidencySummary summary, List<String> problems, long problemCount) {
        public boolean ok() {
            return problemCount == 0;
        }
    }

    private final Map<String, PublicKey> trusted;
    private final Map<String, String> verdicts = new HashMap<>(); // record text → problem ("" when it checks out)
    private final Map<String, LocationRecord> cited = new HashMap<>(); // record id → record
    private final java.util.Set<String> failed = new java.util.HashSet<>(); // ids of records that failed (said once)
    private final List<String> problems = new ArrayList<>();
    private long problemCount;
    private final SummaryBuilder summary = new SummaryBuilder();

    private ResidencyVerifier(Map<String, PublicKey> trusted) {
        this.trusted = trusted;
    }

    /** Checks {@code report}: a signed report as written, or its HTML form (which carries the signed report inside). */
    public static Result verify(Path report, Map<String, PublicKey> trusted) throws IOException {
        Path signed = report;
        Path extracted = null;
        try {
            if (ResidencyHtml.isHtml(report)) {
                extracted = Files.createTempFile("locusfs-residency", ".json");
                ResidencyHtml.extract(report, extracted);
                signed = extracted;
            }
            return new ResidencyVerifier(trusted).run(signed);
        } finally {
            if (extracted != null) {
                Files.deleteIfExists(extracted);
            }
        }
    }

    private Result run(Path report) throws IOException {
        long bodyLength = bodyLength(report);
        String signatureLine = new String(readRange(report, bodyLength, Files.size(report) - bodyLength), StandardCharsets.UTF_8).strip();
        ReportSignature signature;
        try {
            signature = ReportSignature.parse(signatureLine);
        } catch (IllegalArgumentException e) {
            problem(e.getMessage());
            return new Result(null, null, problems, problemCount);
        }
        MessageDigest sha256 = ResidencyReport.sha256();
        ResidencySummary stated = null;
        try (InputStream in = new DigestInputStream(new Bounded(new BufferedInputStream(Files.newInputStream(report), 1 << 16), bodyLength), sha256);
             JsonParser json = JsonLines.MAPPER.getFactory().createParser(in)) {
            try {
                stated = readBody(json);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                problem("the report is not well-formed JSON at line " + e.getLocation().getLineNr() + ", column "
                        + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage());
            }
            in.transferTo(java.io.OutputStream.nullOutputStream()); // the rest of the body is hashed too
        }
        String sigProblem = signature.problem(ReportSignature.hex(sha256.digest()), trusted);
        if (sigProblem != null) {
            problem(sigProblem);
        }
        ResidencySummary actual = summary.build();
        if (stated != null) {
            compare(stated, actual);
        }
        return new Result(signature.node(), actual, problems, problemCount);
    }

    private ResidencySummary readBody(JsonParser json) throws IOException {
        if (json.nextToken() != JsonToken.START_OBJECT) {
            problem("the report does not start with a JSON object");
            return null;
        }
        ResidencySummary stated = null;
        boolean sawFormat = false;
        while (json.nextToken() == JsonToken.FIELD_NAME) {
            String field = json.currentName();
            json.nextToken();
            switch (field) {
                case "format" -> {
                    sawFormat = true;
                    if (!ResidencyReport.FORMAT.equals(json.getText())) {
                        problem("the report's format is '" + json.getText() + "', not '" + ResidencyReport.FORMAT + "'");
                    }
                }
                case "records" -> {
                    while (json.nextToken() == JsonToken.START_OBJECT) {
                        JsonNode r = json.readValueAsTree();
                        checkCited(r.path("id").asText(), r.path("describes").asText(), r.path("text").asText());
                    }
                }
                case "files" -> {
                    long index = 0;
                    while (json.nextToken() == JsonToken.START_OBJECT) {
                        checkEntry(json.readValueAsTree(), index++);
                    }
                }
                case "summary" -> stated = ResidencySummary.read(json.readValueAsTree());
                default -> json.skipChildren();
            }
        }
        if (!sawFormat) {
            problem("the report has no format field: not a LocusFS residency report");
        }
        if (stated == null) {
            problem("the report has no summary (truncated?)");
        }
        return stated;
    }

    private void checkCited(String id, String describes, String text) {
        String problem = recordProblem(text);
        if (problem != null) {
            problem("record " + id + " (" + describes + "): " + problem);
            failed.add(id);
            return;
        }
        cited.put(id, LocationRecord.parse(text));
    }

    /** Why a record's text cannot be trusted, or null when a trusted key signed it. */
    private String recordProblem(String text) {
        String verdict = verdicts.get(text);
        if (verdict == null) {
            try {
                LocationRecord record = LocationRecord.parse(text);
                PublicKey key = trusted.get(record.node());
                verdict = key == null ? "signed by node " + record.node() + ", which is not among the trusted keys"
                        : record.verify(key) ? "" : "its signature does not match its contents (forged or altered)";
            } catch (IllegalArgumentException e) {
                verdict = e.getMessage();
            }
            verdicts.put(text, verdict);
        }
        return verdict.isEmpty() ? null : verdict;
    }

    private void checkEntry(JsonNode entry, long index) {
        String path = entry.path("path").asText("entry " + index);
        if (entry.has("hard_link_of")) {
            return;
        }
        boolean directory = "directory".equals(entry.path("kind").asText());
        SummaryBuilder.Entry summed = summary.entry(directory, entry.path("bytes").asLong());
        int n = 0;
        for (JsonNode copy : entry.path("copies")) {
            n++;
            String where = path + ", copy " + n + " (" + copy.path("where").asText() + ")";
            LocationRecord record = null;
            if (copy.has("record")) {
                record = cited.get(copy.path("record").asText());
                if (record == null && !failed.contains(copy.path("record").asText())) {
                    problem(where + ": cites record " + copy.path("record").asText() + ", which the report does not hold or which failed its check");
                }
            } else {
                String problem = recordProblem(copy.path("record_text").asText());
                if (problem != null) {
                    problem(where + ": its location record is " + problem);
                } else {
                    record = LocationRecord.parse(copy.path("record_text").asText());
                }
            }
            if (record != null) {
                if (!record.zone().toString().equals(copy.path("zone").asText())) {
                    problem(where + ": says zone " + copy.path("zone").asText() + ", its signed record says " + record.zone());
                }
                if (!record.node().equals(copy.path("node").asText())) {
                    problem(where + ": says node " + copy.path("node").asText() + ", its signed record was made by " + record.node());
                }
            }
            summed.copy(copy.path("zone").asText(), copy.path("allowed").asBoolean(true), copy.path("until").isNull()
                    || copy.path("until").isMissingNode());
        }
        checkProvenance(path, entry.path("provenance"));
    }

    /** Every hop signed by a trusted key, all naming one origin, in time order. */
    private void checkProvenance(String path, JsonNode hops) {
        LocationRecord previous = null;
        int n = 0;
        for (JsonNode hop : hops) {
            n++;
            String problem = recordProblem(hop.asText());
            if (problem != null) {
                problem(path + ", provenance hop " + n + ": " + problem);
                previous = null;
                continue;
            }
            LocationRecord record = LocationRecord.parse(hop.asText());
            if (previous != null) {
                if (!Objects.equals(previous.origin(), record.origin())) {
                    problem(path + ", provenance hop " + n + ": names origin " + record.origin() + ", the hop before it " + previous.origin());
                }
                if (record.time().isBefore(previous.time())) {
                    problem(path + ", provenance hop " + n + ": is dated " + record.time() + ", before the hop it follows (" + previous.time() + ")");
                }
            }
            previous = record;
        }
    }

    private void compare(ResidencySummary stated, ResidencySummary actual) {
        compare("files", stated.files(), actual.files());
        compare("directories", stated.directories(), actual.directories());
        compare("bytes", stated.bytes(), actual.bytes());
        compare("copies", stated.copies(), actual.copies());
        compare("copies outside the policy", stated.outsidePolicy(), actual.outsidePolicy());
        compare("copies outside the policy that still exist", stated.outsideNow(), actual.outsideNow());
        Map<String, ResidencySummary.ZoneCount> byZone = new HashMap<>();
        actual.zones().forEach(z -> byZone.put(z.zone(), z));
        for (ResidencySummary.ZoneCount z : stated.zones()) {
            ResidencySummary.ZoneCount a = byZone.remove(z.zone());
            if (a == null) {
                problem("summary: lists zone " + z.zone() + ", where no entry has a copy");
            } else if (!a.equals(z)) {
                problem("summary: zone " + z.zone() + " has " + z.copies() + " copies of " + z.files() + " files (" + z.bytes()
                        + " bytes) by the summary, " + a.copies() + " copies of " + a.files() + " files (" + a.bytes() + " bytes) by the entries");
            }
        }
        byZone.keySet().stream().sorted().forEach(zone -> problem("summary: leaves out zone " + zone + ", where entries have copies"));
    }

    private void compare(String what, long stated, long actual) {
        if (stated != actual) {
            problem("summary: " + stated + " " + what + " by the summary, " + actual + " by the entries");
        }
    }

    private void problem(String what) {
        problemCount++;
        if (problems.size() < MAX_LISTED) {
            problems.add(what);
        }
    }

    /** The length of everything before the signature line (the last line). */
    private static long bodyLength(Path report) throws IOException {
        long size = Files.size(report);
        int tail = (int) Math.min(size, 4096);
        byte[] end = readRange(report, size - tail, tail);
        int last = end.length - 1;
        if (last >= 0 && end[last] == '\n') {
            last--;
        }
        for (int i = last; i >= 0; i--) {
            if (end[i] == '\n') {
                return size - tail + i + 1;
            }
        }
        return 0;
    }

    private static byte[] readRange(Path file, long offset, long length) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            byte[] bytes = new byte[(int) length];
            f.seek(offset);
            f.readFully(bytes);
            return bytes;
        }
    }

    /** The first {@code limit} bytes of a stream. */
    private static final class Bounded extends java.io.FilterInputStream {
        private long left;

        Bounded(InputStream in, long limit) {
            super(in);
            this.left = limit;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int b = in.read();
            if (b >= 0) {
                left--;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }
    }
}
