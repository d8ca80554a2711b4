package io.locusfs.replicate;

import io.locusfs.tree.SnapshotTree;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * The files of one snapshot in an object-store mirror (BUCKET.md, "Trees"): each path's node as
 * the stream described it, and for a regular file the extents that map its bytes to blocks.
 * A stream is applied to the tree of the snapshot it continues ({@link #remove}, {@link #node},
 * {@link #data}, ...), and what it changed is written as a layer ({@link #changes}); a snapshot's
 * tree is its layers applied in order ({@link #apply}). Not thread-safe.
 */
final class BucketTree {
    private static final int VERSION = 1;

    /** Where {@code length} bytes at {@code offset} of a file are: at {@code at} in block {@code block}. */
    record Extent(long offset, int length, String block, int at) {
    }

    /** A file's data: shared by the names of a hard-linked file. */
    static final class Content {
        long size;
        final TreeMap<Long, Extent> extents = new TreeMap<>();

        /** Makes {@code [offset, offset + length)} read from {@code block} at {@code at}, over whatever was there. */
        void put(long offset, int length, String block, int at) {
            cut(offset, offset + length);
            extents.put(offset, new Extent(offset, length, block, at));
        }

        /** Drops what lies in {@code [from, to)}, keeping the parts of extents outside it. */
        void cut(long from, long to) {
            Map.Entry<Long, Extent> before = extents.lowerEntry(from);
            if (before != null && before.getValue().offset() + before.getValue().length() > from) {
                Extent e = before.getValue();
                extents.put(e.offset(), new Extent(e.offset(), (int) (from - e.offset()), e.block(), e.at()));
                long end = e.offset() + e.length();
                if (end > to) {
                    extents.put(to, new Extent(to, (int) (end - to), e.block(), e.at() + (int) (to - e.offset())));
                }
            }
            for (Map.Entry<Long, Extent> inside : new ArrayList<>(extents.subMap(from, true, to, false).entrySet())) {
                Extent e = inside.getValue();
                extents.remove(e.offset());
                long end = e.offset() + e.length();
                if (end > to) {
                    extents.put(to, new Extent(to, (int) (end - to), e.block(), e.at() + (int) (to - e.offset())));
                }
            }
        }

        void resize(long size) {
            if (size < this.size) {
                cut(size, Long.MAX_VALUE);
            }
            this.size = size;
        }
    }

    /** One path: its node (content null), the placement rules that covered it, its provenance, and a file's data. */
    static final class Entry {
        SnapshotTree.Node node;
        String constraint;
        String provenance;
        Content content;
        /** For a later name of a hard-linked file: the name whose content this shares. */
        String linkOf;

        Entry(SnapshotTree.Node node, String constraint, String provenance) {
            this.node = node;
            this.constraint = constraint;
            this.provenance = provenance;
        }
    }

    private final TreeMap<String, Entry> entries = new TreeMap<>();
    /** What the last stream removed (a path and all below it) and put, for {@link #changes}. */
    private final Set<String> removed = new LinkedHashSet<>();
    private final Set<String> touched = new LinkedHashSet<>();

    int size() {
        return entries.size();
    }

    Entry get(String path) {
        return entries.get(path);
    }

    /** Every entry, in path order (each directory before what it holds). */
    NavigableMap<String, Entry> entries() {
        return entries;
    }

    /** Forgets what the last stream changed: the next {@link #changes} starts from here. */
    void settle() {
        removed.clear();
        touched.clear();
    }

    void remove(String path) {
        entries.remove(path);
        below(path).clear();
        removed.add(path);
    }

    /** The entries below {@code path} (not itself). */
    private NavigableMap<String, Entry> below(String path) {
        String prefix = path.isEmpty() ? "" : path + "/";
        // '/' + 1 is '0': every key that starts with the prefix sorts before prefix + '0'... only for '/'.
        return path.isEmpty() ? entries.tailMap("", false) : entries.subMap(prefix, true, path + "0", false);
    }

    void rename(String from, String to) {
        Map<String, Entry> moving = new LinkedHashMap<>();
        Entry self = entries.get(from);
        if (self != null) {
            moving.put(to, self);
        }
        for (Map.Entry<String, Entry> e : below(from).entrySet()) {
            moving.put(to + e.getKey().substring(from.length()), e.getValue());
        }
        remove(from);
        remove(to);
        for (Map.Entry<String, Entry> e : moving.entrySet()) {
            Entry entry = e.getValue();
            entry.node = withPath(entry.node, e.getKey());
            entries.put(e.getKey(), entry);
            touched.add(e.getKey());
        }
        // A hard link whose first name moved follows it.
        for (Map.Entry<String, Entry> e : moving.entrySet()) {
            String old = from + e.getKey().substring(to.length());
            for (Entry other : entries.values()) {
                if (old.equals(other.linkOf)) {
                    other.linkOf = e.getKey();
                }
            }
        }
    }

    /** A NODE or CHANGED record: the node replaces what is at its path (a CHANGED file keeps its data, cut or extended). */
    void node(Records.NodeRecord record) throws StreamException {
        SnapshotTree.Node node = record.node();
        String path = node.path();
        Entry old = entries.get(path);
        Entry entry = new Entry(node, record.constraint(), record.provenance());
        if (node.kind() == SnapshotTree.Kind.FILE) {
            if (node.hardLinkOf() != null) {
                Entry first = entries.get(node.hardLinkOf());
                if (first == null || first.content == null) {
                    throw new StreamException("'" + path + "' is a hard link of '" + node.hardLinkOf() + "', which the bucket's tree does not hold as a file");
                }
                entry.content = first.content;
                entry.linkOf = first.linkOf != null ? first.linkOf : node.hardLinkOf();
            } else if (record.continues()) {
                if (old == null || old.content == null) {
                    throw new StreamException("a CHANGED record of '" + path + "', which the bucket's tree does not hold as a file: it needs a full stream");
                }
                entry.content = old.content;
                entry.linkOf = old.linkOf;
            } else {
                entry.content = new Content();
            }
            entry.content.resize(node.size());
        }
        if (old != null && old.node.kind() == SnapshotTree.Kind.DIRECTORY && node.kind() != SnapshotTree.Kind.DIRECTORY) {
            below(path).clear();
            removed.add(path + "/");
        }
        entries.put(path, entry);
        touched.add(path);
    }

    void data(String path, long offset, int length, String block) throws StreamException {
        Entry entry = entries.get(path);
        if (entry == null || entry.content == null) {
            throw new StreamException("a DATA record of '" + path + "', which the stream did not describe as a file");
        }
        entry.content.put(offset, length, block, 0);
        touched.add(path);
    }

    void times(String path, long atime, long mtime) throws StreamException {
        Entry entry = entries.get(path);
        if (entry == null) {
            throw new StreamException("a TIMES record of '" + path + "', which the stream did not describe");
        }
        SnapshotTree.Node n = entry.node;
        entry.node = new SnapshotTree.Node(n.path(), n.kind(), n.permissions(), n.uid(), n.gid(), atime, mtime, n.ctimeNanos(), n.size(),
                n.symlinkTarget(), n.rdev(), n.xattrs(), null, null, n.hardLinkOf(), null);
        touched.add(path);
    }

    private static SnapshotTree.Node withPath(SnapshotTree.Node n, String path) {
        return new SnapshotTree.Node(path, n.kind(), n.permissions(), n.uid(), n.gid(), n.atimeNanos(), n.mtimeNanos(), n.ctimeNanos(),
                n.size(), n.symlinkTarget(), n.rdev(), n.xattrs(), null, null, n.hardLinkOf(), null);
    }

    /** Every block the tree's files read from. */
    Set<String> blocks() {
        Set<String> blocks = new java.util.HashSet<>();
        for (Entry e : entries.values()) {
            if (e.content != null) {
                for (Extent x : e.content.extents.values()) {
                    blocks.add(x.block());
                }
            }
        }
        return blocks;
    }

    // --- layers ---------------------------------------------------------------------------

    /** The whole tree as one layer. */
    byte[] whole() throws IOException {
        return layer(List.of(), entries.keySet());
    }

    /** What changed since the last {@link #settle} as a layer: removals, then the entries now at the paths put. */
    byte[] changes() throws IOException {
        List<String> puts = new ArrayList<>();
        for (String path : touched) {
            if (entries.containsKey(path)) {
                puts.add(path);
            }
        }
        return layer(new ArrayList<>(removed), puts);
    }

    private byte[] layer(List<String> removals, Iterable<String> puts) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(VERSION);
        out.writeInt(removals.size());
        for (String path : removals) {
            Records.writeString(out, path);
        }
        List<String> ordered = new ArrayList<>();
        puts.forEach(ordered::add);
        ordered.sort(null); // a hard link's first name before its others, as in the walk
        out.writeInt(ordered.size());
        for (String path : ordered) {
            Entry e = entries.get(path);
            SnapshotTree.Node n = e.node;
            // A later name of a hard-linked file names the first (if that is still one of its names), else holds the extents.
            Entry first = e.linkOf == null ? null : entries.get(e.linkOf);
            boolean linked = first != null && first.content == e.content;
            Records.writeNode(out, new SnapshotTree.Node(path, n.kind(), n.permissions(), n.uid(), n.gid(), n.atimeNanos(), n.mtimeNanos(),
                    n.ctimeNanos(), n.size(), n.symlinkTarget(), n.rdev(), n.xattrs(), null, null, linked ? e.linkOf : null, null),
                    e.constraint, e.provenance);
            if (e.content != null && !linked) {
                out.writeInt(e.content.extents.size());
                for (Extent x : e.content.extents.values()) {
                    out.writeLong(x.offset());
                    out.writeInt(x.length());
                    Records.writeString(out, x.block());
                    out.writeInt(x.at());
                }
            } else {
                out.writeInt(-1);
            }
        }
        out.flush();
        return bytes.toByteArray();
    }

    /**
     * Applies a layer {@link #whole} or {@link #changes} wrote.
     *
     * @throws StreamException when it is malformed
     */
    void apply(byte[] layer) throws StreamException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(layer));
        try {
            int version = in.readInt();
            if (version != VERSION) {
                throw new StreamException("a tree layer of version " + version + " (this locusfs reads " + VERSION + ")");
            }
            int removals = in.readInt();
            for (int i = 0; i < removals; i++) {
                String path = removal(in);
                if (path.endsWith("/")) {
                    below(path.substring(0, path.length() - 1)).clear();
                } else {
                    entries.remove(path);
                    below(path).clear();
                }
            }
            int puts = in.readInt();
            for (int i = 0; i < puts; i++) {
                Records.NodeRecord record = Records.node(in, false);
                SnapshotTree.Node node = record.node();
                String path = node.path();
                String linkOf = node.hardLinkOf();
                long size = node.size();
                int extents = in.readInt();
                Entry entry = new Entry(node, record.constraint(), record.provenance());
                if (linkOf != null) {
                    Entry first = entries.get(linkOf);
                    if (first == null || first.content == null) {
                        throw new StreamException("a tree layer links '" + path + "' to '" + linkOf + "', which it does not hold");
                    }
                    entry.content = first.content;
                    entry.linkOf = linkOf;
                } else if (extents >= 0) {
                    Content content = new Content();
                    content.size = size;
                    for (int x = 0; x < extents; x++) {
                        long offset = in.readLong();
                        int length = in.readInt();
                        String block = Records.string(in);
                        int at = in.readInt();
                        content.extents.put(offset, new Extent(offset, length, block, at));
                    }
                    entry.content = content;
                }
                // A first name written again keeps its later names pointing at the same content.
                Entry old = entries.get(path);
                if (old != null && old.content != null && entry.content != null && old.content != entry.content) {
                    for (Entry other : entries.values()) {
                        if (other != old && other.content == old.content && path.equals(other.linkOf)) {
                            other.content = entry.content;
                        }
                    }
                }
                entries.put(path, entry);
            }
        } catch (EOFException | IllegalArgumentException e) {
            throw new StreamException("a tree layer is malformed: " + e.getMessage());
        } catch (IOException e) {
            throw new StreamException("a tree layer is unreadable: " + e.getMessage());
        }
    }

    /** A removal: a path, or a path and '/' (only what is below it). */
    private static String removal(DataInputStream in) throws IOException {
        return Records.string(in);
    }
}
