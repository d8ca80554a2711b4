package io.locusfs.residency;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The summary of a residency report: what it covers, and its copies by zone. Everything in it
 * follows from the report's file entries, so a verifier recomputes it and compares
 * ({@link SummaryBuilder} does both sides).
 *
 * @param copies        copy entries (a file in one zone for one span)
 * @param outsidePolicy copy entries whose zone the placement policy does not allow for the path
 * @param outsideNow    those of them that still exist (their span is open)
 */
public record ResidencySummary(long files, long directories, long bytes, long copies, List<ZoneCount> zones,
                               long outsidePolicy, long outsideNow) {

    /** One zone's share: copy entries, files and directories with a copy there, and their bytes. */
    public record ZoneCount(String zone, long copies, long files, long bytes) {
    }

    /** What a report does not (yet) cover, written into every report so that its reader knows. */
    static final List<String> LIMITS = List.of(
            "Files and directories of the live tree only: what was deleted before the report, and the copies held only in snapshots, are not listed.",
            "A file's creation time is not recorded: its stays here are those of the store from the one it was made in (known by its inode number, where the store kept at each relabel the next one it would give; otherwise from the first), each from the store's record in that zone, so its first stay may start before the file existed (never after).",
            "A mirror's stay that has ended lists the files the placement policy in force at report time lets it hold; what was sent to it is recorded per file only while it still holds this store's snapshots.");

    void write(JsonGenerator json) throws IOException {
        json.writeStartObject();
        json.writeNumberField("files", files);
        json.writeNumberField("directories", directories);
        json.writeNumberField("bytes", bytes);
        json.writeNumberField("copies", copies);
        json.writeArrayFieldStart("zones");
        for (ZoneCount z : zones) {
            json.writeStartObject();
            json.writeStringField("zone", z.zone());
            json.writeNumberField("copies", z.copies());
            json.writeNumberField("files", z.files());
            json.writeNumberField("bytes", z.bytes());
            json.writeEndObject();
        }
        json.writeEndArray();
        json.writeNumberField("outside_policy", outsidePolicy);
        json.writeNumberField("outside_policy_now", outsideNow);
        json.writeEndObject();
    }

    static ResidencySummary read(JsonNode json) {
        List<ZoneCount> zones = new ArrayList<>();
        for (JsonNode z : json.path("zones")) {
            zones.add(new ZoneCount(z.path("zone").asText(), z.path("copies").asLong(), z.path("files").asLong(), z.path("bytes").asLong()));
        }
        return new ResidencySummary(json.path("files").asLong(), json.path("directories").asLong(), json.path("bytes").asLong(),
                json.path("copies").asLong(), zones, json.path("outside_policy").asLong(), json.path("outside_policy_now").asLong());
    }
}
