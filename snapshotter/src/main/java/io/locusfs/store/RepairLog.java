package io.locusfs.store;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What self-heal repaired in a store, kept in the store itself so that {@code locusfs fsck}
 * shows it after the fact: how many repairs and bytes in all, and the most recent ones.
 *
 * <p>Format: note {@code self-heal} (UTF-8 text): a first line {@code repairs N bytes B}, then
 * at most {@link #KEPT} lines, oldest first, {@code TIME<TAB>PATH<TAB>BYTES<TAB>FROM} (ISO-8601
 * time, the file's path, the bytes rewritten, where they came from).
 */
public final class RepairLog {
    static final String NOTE = "self-heal";
    static final int KEPT = 20;

    /** One repair. */
    public record Entry(Instant time, String path, long bytes, String from) {
    }

    /** The repairs in all, their bytes, and the most recent ones, oldest first. */
    public record Summary(long repairs, long bytes, List<Entry> recent) {
    }

    private RepairLog() {
    }

    /** Adds a repair (durable with the store's next sync, like the blocks it rewrote). */
    static synchronized void add(Store store, Entry entry) {
        Summary s = read(store);
        List<Entry> recent = new ArrayList<>(s.recent());
        recent.add(entry);
        while (recent.size() > KEPT) {
            recent.remove(0);
        }
        StringBuilder text = new StringBuilder("repairs " + (s.repairs() + 1) + " bytes " + (s.bytes() + entry.bytes()) + "\n");
        for (Entry e : recent) {
            text.append(e.time()).append('\t').append(clean(e.path())).append('\t').append(e.bytes()).append('\t')
                    .append(clean(e.from())).append('\n');
        }
        store.putNote(NOTE, text.toString().getBytes(StandardCharsets.UTF_8), false);
    }

    /** What the store's log holds; no repairs when it has none (or it cannot be read). */
    public static Summary read(Store store) {
        String text = store.note(NOTE).map(v -> new String(v, StandardCharsets.UTF_8)).orElse("");
        String[] lines = text.split("\n");
        String[] head = lines[0].split(" ");
        if (head.length != 4 || !head[0].equals("repairs")) {
            return new Summary(0, 0, List.of());
        }
        List<Entry> recent = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].split("\t", -1);
            if (f.length == 4) {
                try {
                    recent.add(new Entry(Instant.parse(f[0]), f[1], Long.parseLong(f[2]), f[3]));
                } catch (RuntimeException e) {
                    // a line this version cannot read is left out, not fatal
                }
            }
        }
        try {
            return new Summary(Long.parseLong(head[1]), Long.parseLong(head[3]), List.copyOf(recent));
        } catch (NumberFormatException e) {
            return new Summary(0, 0, List.of());
        }
    }

    private static String clean(String text) {
        return text.replace('\t', ' ').replace('\n', ' ');
    }
}
