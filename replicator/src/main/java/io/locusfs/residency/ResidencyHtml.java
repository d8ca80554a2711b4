package io.locusfs.residency;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import io.locusfs.wire.JsonLines;
import java.io.BufferedOutputStream;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The residency report for people: one self-contained HTML page (no script, no network) with the
 * summary by zone, the copies outside the policy, a map of the zones (coordinates where known, a
 * zone tree where not) and a timeline per file of where it lived. The signed report travels inside
 * the page (base64 in a data element), so {@link ResidencyVerifier} checks the page itself.
 */
public final class ResidencyHtml {
    static final String DATA_OPEN = "<script type=\"application/x-locusfs-residency\" id=\"locusfs-report\">";
    private static final String DATA_CLOSE = "</script>";
    /** Timelines drawn; the rest are in the signed report (the page says so). */
    static final int TIMELINES = 500;
    private static final int OUTSIDE_LISTED = 100;

    private ResidencyHtml() {
    }

    private record Copy(String where, String zone, Instant from, Instant until, boolean allowed, String refusedBy) {
    }

    private record Entry(String path, String kind, long bytes, List<Copy> copies) {
    }

    /** Renders the signed report {@code report} as the page {@code html}. */
    public static void render(Path report, Path html) throws IOException {
        Map<String, String> header = new LinkedHashMap<>();
        List<Entry> timelines = new ArrayList<>();
        List<String[]> outside = new ArrayList<>();
        Map<String, String> coords = new TreeMap<>();
        JsonNode summary = null;
        List<String> limits = new ArrayList<>();
        long entries = 0;
        try (InputStream in = Files.newInputStream(report); JsonParser json = JsonLines.MAPPER.getFactory().createParser(in)) {
            json.nextToken();
            while (json.nextToken() == JsonToken.FIELD_NAME) {
                String field = json.currentName();
                JsonToken value = json.nextToken();
                if (field.equals("files")) {
                    while (json.nextToken() == JsonToken.START_OBJECT) {
                        Entry e = entry(json.readValueAsTree(), coords);
                        entries += e.copies().isEmpty() ? 0 : 1; // a second name of a file has its copies listed at the first
                        if (timelines.size() < TIMELINES && !e.copies().isEmpty()) {
                            timelines.add(e);
                        }
                        for (Copy c : e.copies()) {
                            if (!c.allowed() && outside.size() < OUTSIDE_LISTED) {
                                outside.add(new String[] {e.path(), c.where(), c.zone(), c.until() == null ? "still" : "until " + c.until(), c.refusedBy()});
                            }
                        }
                    }
                } else if (field.equals("summary")) {
                    summary = json.readValueAsTree();
                } else if (field.equals("limits")) {
                    for (JsonNode l : (JsonNode) json.readValueAsTree()) {
                        limits.add(l.asText());
                    }
                } else if (value.isScalarValue()) {
                    header.put(field, json.getValueAsString());
                } else if (field.equals("paths") || field.equals("period")) {
                    header.put(field, text(json.readValueAsTree()));
                } else {
                    json.skipChildren();
                }
            }
        }
        if (summary == null) {
            throw new IOException(report + " is not a whole residency report (no summary)");
        }
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(html), 1 << 16)) {
            Writer w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8));
            page(w, header, summary, outside, coords, timelines, entries, limits);
            w.write(DATA_OPEN + "\n");
            w.flush();
            try (InputStream in = Files.newInputStream(report)) {
                OutputStream b64 = Base64.getMimeEncoder().wrap(new NoClose(out));
                in.transferTo(b64);
                b64.close();
            }
            w.write("\n" + DATA_CLOSE + "\n</body>\n</html>\n");
            w.flush();
        }
    }

    private static String text(JsonNode node) {
        if (node.isArray()) {
            List<String> parts = new ArrayList<>();
            node.forEach(n -> parts.add(n.asText()));
            return String.join(", ", parts);
        }
        String since = node.path("since").isNull() ? "the beginning" : node.path("since").asText();
        String until = node.path("until").isNull() ? "now" : node.path("until").asText();
        return since + " to " + until;
    }

    private static Entry entry(JsonNode e, Map<String, String> coords) {
        List<Copy> copies = new ArrayList<>();
        for (JsonNode c : e.path("copies")) {
            String zone = c.path("zone").asText();
            if (!c.path("coords").isNull() && !c.path("coords").isMissingNode()) {
                coords.putIfAbsent(zone, c.path("coords").asText());
            }
            copies.add(new Copy(c.path("where").asText(), zone, Instant.parse(c.path("from").asText()),
                    c.path("until").isNull() || c.path("until").isMissingNode() ? null : Instant.parse(c.path("until").asText()),
                    c.path("allowed").asBoolean(true), c.path("refused_by").asText("")));
        }
        return new Entry(e.path("path").asText(), e.path("kind").asText(), e.path("bytes").asLong(), copies);
    }

    private static void page(Writer w, Map<String, String> header, JsonNode summary, List<String[]> outside,
                             Map<String, String> coords, List<Entry> timelines, long entries, List<String> limits) throws IOException {
        w.write("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Residency report: "
                + esc(header.getOrDefault("paths", "")) + "</title>\n<style>\n" + STYLE + "</style>\n</head>\n<body>\n");
        w.write("<h1>Where this data lives, and has lived</h1>\n<p class=\"meta\">Paths <b>" + esc(header.getOrDefault("paths", ""))
                + "</b> of store " + esc(header.getOrDefault("store", "")) + ", over " + esc(header.getOrDefault("period", ""))
                + ". Made " + esc(header.getOrDefault("generated", "")) + " and signed by node <code>" + esc(header.getOrDefault("node", ""))
                + "</code>" + (header.get("policy") == null ? "; no placement policy was in force" : "; placement policy "
                + esc(header.get("policy"))) + ".</p>\n");
        w.write("<p class=\"meta\">This page carries the signed report. Check it offline: <code>locusfs residency verify THIS-FILE --trust KEYS</code>.</p>\n");
        w.write("<h2>Summary by zone</h2>\n<table id=\"summary\">\n<tr><th>zone</th><th>copies</th><th>files and directories</th><th>bytes</th></tr>\n");
        for (JsonNode z : summary.path("zones")) {
            String zone = z.path("zone").asText();
            w.write("<tr data-zone=\"" + esc(zone) + "\"><td>" + esc(zone) + "</td><td class=\"copies\">" + z.path("copies").asLong()
                    + "</td><td class=\"files\">" + z.path("files").asLong() + "</td><td class=\"bytes\">" + bytes(z.path("bytes").asLong())
                    + "</td></tr>\n");
        }
        w.write("<tr class=\"total\"><td>all zones</td><td id=\"total-copies\">" + summary.path("copies").asLong() + "</td><td id=\"total-entries\">"
                + (summary.path("files").asLong() + summary.path("directories").asLong()) + "</td><td id=\"total-bytes\">"
                + bytes(summary.path("bytes").asLong()) + "</td></tr>\n</table>\n");
        long outsideCount = summary.path("outside_policy").asLong();
        if (outsideCount == 0) {
            w.write("<p id=\"outside\" class=\"ok\">Copies outside the zones the placement policy allows: <b>none</b>.</p>\n");
        } else {
            w.write("<p id=\"outside\" class=\"bad\">Copies outside the zones the placement policy allows: <b>" + outsideCount + "</b> ("
                    + summary.path("outside_policy_now").asLong() + " still exist).</p>\n<table id=\"outside-list\">\n"
                    + "<tr><th>path</th><th>copy</th><th>zone</th><th>when</th><th>why</th></tr>\n");
            for (String[] o : outside) {
                w.write("<tr><td>" + esc(o[0]) + "</td><td>" + esc(o[1]) + "</td><td>" + esc(o[2]) + "</td><td>" + esc(o[3]) + "</td><td>"
                        + esc(o[4]) + "</td></tr>\n");
            }
            w.write("</table>\n");
        }
        map(w, summary, coords);
        w.write("<h2>Timeline per file</h2>\n");
        if (entries > timelines.size()) {
            w.write("<p class=\"meta\">The first " + timelines.size() + " of " + entries + " entries; the signed report lists them all.</p>\n");
        }
        timeline(w, timelines, Instant.parse(header.getOrDefault("generated", Instant.now().toString())));
        w.write("<h2>What this report covers</h2>\n<ul>\n");
        for (String l : limits) {
            w.write("<li>" + esc(l) + "</li>\n");
        }
        w.write("</ul>\n");
    }

    /**
     * Zones with coordinates on an equirectangular map of the area they span (at least 8 degrees,
     * with a margin), a circle each sized by its copies; the zones without coordinates as a tree.
     */
    private static void map(Writer w, JsonNode summary, Map<String, String> coords) throws IOException {
        Map<String, double[]> placed = new TreeMap<>();
        Map<String, Long> tree = new TreeMap<>();
        Map<String, Long> copiesOf = new TreeMap<>();
        for (JsonNode z : summary.path("zones")) {
            String zone = z.path("zone").asText();
            copiesOf.put(zone, z.path("copies").asLong());
            String at = coords.get(zone);
            if (at == null) {
                tree.put(zone, z.path("copies").asLong());
            } else {
                String[] ll = at.split(",");
                placed.put(zone, new double[] {Double.parseDouble(ll[0]), Double.parseDouble(ll[1])});
            }
        }
        double minLat = placed.values().stream().mapToDouble(p -> p[0]).min().orElse(-60);
        double maxLat = placed.values().stream().mapToDouble(p -> p[0]).max().orElse(75);
        double minLon = placed.values().stream().mapToDouble(p -> p[1]).min().orElse(-180);
        double maxLon = placed.values().stream().mapToDouble(p -> p[1]).max().orElse(180);
        double latSpan = Math.max(8, (maxLat - minLat) * 1.4);
        double lonSpan = Math.max(8, (maxLon - minLon) * 1.4);
        double midLat = (minLat + maxLat) / 2;
        double midLon = (minLon + maxLon) / 2;
        double scale = Math.min(720 / lonSpan, 360 / latSpan);
        w.write("<h2>Map of zones</h2>\n<svg id=\"map\" viewBox=\"0 0 720 360\" width=\"720\" height=\"360\" role=\"img\" aria-label=\"zones by coordinates\">\n"
                + "<rect width=\"720\" height=\"360\" fill=\"#eef4f8\"/>\n");
        double step = lonSpan > 90 ? 30 : lonSpan > 30 ? 10 : lonSpan > 12 ? 5 : 2;
        for (double lon = Math.ceil((midLon - 360 / scale) / step) * step; lon <= midLon + 360 / scale; lon += step) {
            double x = 360 + (lon - midLon) * scale;
            w.write(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"360\" class=\"grid\"/><text x=\"%.1f\" y=\"354\" class=\"axis\">%.0f°</text>%n",
                    x, x, x + 2, lon));
        }
        for (double lat = Math.ceil((midLat - 180 / scale) / step) * step; lat <= midLat + 180 / scale; lat += step) {
            double y = 180 - (lat - midLat) * scale;
            w.write(String.format(Locale.ROOT, "<line x1=\"0\" y1=\"%.1f\" x2=\"720\" y2=\"%.1f\" class=\"grid\"/><text x=\"2\" y=\"%.1f\" class=\"axis\">%.0f°</text>%n",
                    y, y, y - 2, lat));
        }
        for (Map.Entry<String, double[]> z : placed.entrySet()) {
            long copies = copiesOf.get(z.getKey());
            double x = 360 + (z.getValue()[1] - midLon) * scale;
            double y = 180 - (z.getValue()[0] - midLat) * scale;
            double r = 4 + Math.min(16, Math.log10(copies + 1) * 4);
            w.write(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" class=\"zone\"><title>%s: %d copies</title></circle>%n"
                    + "<text x=\"%.1f\" y=\"%.1f\" class=\"label\">%s (%d)</text>%n", x, y, r, esc(z.getKey()), copies, x + r + 2, y + 4,
                    esc(z.getKey()), copies));
        }
        w.write("</svg>\n");
        if (!tree.isEmpty()) {
            w.write("<p class=\"meta\">Zones without coordinates:</p>\n<ul id=\"zone-tree\">\n");
            for (Map.Entry<String, Long> z : tree.entrySet()) {
                int depth = z.getKey().split("/").length - 1;
                w.write("<li style=\"margin-left:" + depth * 1.2 + "em\">" + esc(z.getKey()) + ": " + z.getValue() + " copies</li>\n");
            }
            w.write("</ul>\n");
        }
    }

    private static void timeline(Writer w, List<Entry> entries, Instant generated) throws IOException {
        Instant start = generated;
        for (Entry e : entries) {
            for (Copy c : e.copies()) {
                if (c.from().isBefore(start)) {
                    start = c.from();
                }
            }
        }
        double span = Math.max(1, generated.toEpochMilli() - start.toEpochMilli());
        w.write("<p class=\"meta\">From " + start + " (left) to " + generated + " (right).</p>\n<table id=\"timeline\">\n");
        for (Entry e : entries) {
            w.write("<tr><td class=\"path\">" + esc(e.path()) + "</td><td class=\"bars\">");
            for (Copy c : e.copies()) {
                double left = (c.from().toEpochMilli() - start.toEpochMilli()) / span * 100;
                double right = ((c.until() == null ? generated : c.until()).toEpochMilli() - start.toEpochMilli()) / span * 100;
                w.write(String.format(Locale.ROOT, "<div class=\"bar%s\" style=\"margin-left:%.2f%%;width:%.2f%%;background:hsl(%d,55%%,55%%)\" "
                                + "title=\"%s, %s: %s to %s\">%s</div>", c.allowed() ? "" : " refused", left, Math.max(0.5, right - left),
                        Math.floorMod(c.zone().hashCode(), 360), esc(c.where()), esc(c.zone()), c.from(), c.until() == null ? "now" : c.until(),
                        esc(c.zone())));
            }
            w.write("</td></tr>\n");
        }
        w.write("</table>\n");
    }

    private static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** Whether {@code file} is a page written by {@link #render}. */
    static boolean isHtml(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return new String(in.readNBytes(15), StandardCharsets.US_ASCII).equalsIgnoreCase("<!DOCTYPE html>");
        }
    }

    /** Writes the signed report a page carries to {@code out}. */
    static void extract(Path html, Path out) throws IOException {
        String page = Files.readString(html);
        int open = page.lastIndexOf(DATA_OPEN);
        int close = open < 0 ? -1 : page.indexOf(DATA_CLOSE, open);
        if (close < 0) {
            throw new IOException(html + " is an HTML page without a signed residency report inside");
        }
        try {
            Files.write(out, Base64.getMimeDecoder().decode(page.substring(open + DATA_OPEN.length(), close).strip()));
        } catch (IllegalArgumentException e) {
            throw new IOException(html + ": the signed report inside the page is damaged (" + e.getMessage() + ")", e);
        }
    }

    private static final class NoClose extends java.io.FilterOutputStream {
        NoClose(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }

    private static final String STYLE = """
            body { font-family: sans-serif; margin: 2em; color: #222; max-width: 72em; }
            table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
            th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
            td.copies, td.files, td.bytes, tr.total td { text-align: right; }
            tr.total td:first-child { text-align: left; font-weight: bold; }
            .meta { color: #555; }
            .ok { color: #1b6e2a; }
            .bad { color: #a11; }
            line.grid { stroke: #c8d6e0; stroke-width: 1; }
            circle.zone { fill: #2b6cb0; fill-opacity: 0.7; }
            text.label { font-size: 11px; fill: #123; }
            text.axis { font-size: 9px; fill: #7890a0; }
            #timeline { width: 100%; }
            #timeline td.path { font-family: monospace; white-space: nowrap; width: 30%; }
            #timeline td.bars { width: 70%; }
            div.bar { height: 1.1em; font-size: 0.7em; overflow: hidden; white-space: nowrap; color: #fff; margin: 1px 0; }
            div.bar.refused { outline: 2px solid #a11; }
            """;
}
