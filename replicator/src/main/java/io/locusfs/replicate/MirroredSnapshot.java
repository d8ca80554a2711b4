package io.locusfs.replicate;

import io.locusfs.store.FarData;
import io.locusfs.store.Store;
import io.locusfs.tree.Progress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * A snapshot of a mirror's, mounted here without copying it first: its metadata (every path,
 * owner, mode, time, xattr and location history) arrives as a stream without data into a cache
 * store of its own, and the data of each file is read from the mirror as it is first read
 * ({@link FarData}), then kept in the cache. This class does the first part and is the
 * {@link FarData.Source} of the second.
 *
 * <p>The cache store's note {@value #NOTE} names the snapshot it holds, once its metadata is
 * whole; until then a killed fetch resumes, like any receive. The snapshot the stream brought is
 * deleted from the cache store after it arrives: the live tree is the mount, and a snapshot of it
 * would read as holes what was never fetched.
 */
public final class MirroredSnapshot implements FarData.Source {
    /** Note of a cache store whose metadata arrived whole: the snapshot, in UTF-8. */
    public static final String NOTE = "far-snapshot";

    private final MirrorLink link;
    private final String snapshot;
    private final String where;

    private MirroredSnapshot(MirrorLink link, String snapshot, String where) {
        this.link = link;
        this.snapshot = snapshot;
        this.where = where;
    }

    /** What {@link #open} did: the snapshot, whether its metadata had to be fetched (and how many files came). */
    public record Opened(MirroredSnapshot source, String snapshot, boolean fetched, long files) {
    }

    /**
     * Makes {@code cache} hold the metadata of the mirror's snapshot {@code snapshot} (null: its
     * newest), fetching it unless the cache already has it.
     *
     * @param where the mirror as messages name it ("mirror paris (127.0.0.1:7443)")
     * @throws StreamException when the mirror refused, or the cache holds another snapshot
     */
    public static Opened open(MirrorLink link, Store cache, String snapshot, String where, Progress progress) throws IOException {
        Optional<String> held = cache.note(NOTE).map(b -> new String(b, StandardCharsets.UTF_8));
        if (held.isPresent()) {
            if (snapshot != null && !snapshot.equals(held.get())) {
                throw new StreamException(cache.path() + " caches snapshot '" + held.get() + "' of " + where
                        + ", not '" + snapshot + "': give another --cache");
            }
            return new Opened(new MirroredSnapshot(link, held.get(), where), held.get(), false, 0);
        }
        StreamReceiver receiver = new StreamReceiver(cache, null, ino -> false).replacingUnfinished();
        MirrorLink.FetchRequest request = MirrorLink.FetchRequest.into(receiver, snapshot, "/", null, true);
        StreamReceiver.Result result = link.fetch(request, (fetched, in) -> {
            progress.total(fetched.files(), 0);
            return receiver.receive(in, true, StreamReceiver.Listener.NONE, progress);
        });
        String name = result.header().snapshot();
        cache.snapshots().delete(name);
        cache.putNote(NOTE, name.getBytes(StandardCharsets.UTF_8), true);
        return new Opened(new MirroredSnapshot(link, name, where), name, true, result.files());
    }

    @Override
    public int read(String path, long offset, byte[] buffer, int length) throws IOException {
        return link.read(snapshot, path, offset, buffer, length);
    }

    @Override
    public String describe() {
        return where + ", snapshot " + snapshot;
    }
}
