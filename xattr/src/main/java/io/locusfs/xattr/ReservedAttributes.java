package io.locusfs.xattr;

import java.util.List;

/**
 * The extended attributes only the filesystem writes: {@code user.location} (the zone where the
 * file's data lives) and every {@code user.location.*} name, of which {@code user.location.record}
 * is the signed {@link LocationRecord}. Any attempt from outside to set a different value or to
 * remove one is refused with EPERM.
 */
public final class ReservedAttributes {
    public static final String LOCATION = "user.location";
    public static final String RECORD = "user.location.record";
    /**
     * On a replica: the signed records of the stores the file came through, oldest first, one
     * per paragraph (blank line between). Stored with the file, readable by name, not listed, so
     * copies made with cp -a or tar do not carry another store's provenance.
     */
    public static final String ORIGINS = "user.location.origins";
    /** On an origin: the zones its replicas live in, one line each (computed, not stored). */
    public static final String REPLICAS = "user.location.replicas";
    /** The reserved names every file shows, in listxattr order. */
    public static final List<String> SHOWN = List.of(LOCATION, RECORD);

    private ReservedAttributes() {
    }

    /** True for {@code user.location} and every {@code user.location.*} name. */
    public static boolean isReserved(String name) {
        return name.equals(LOCATION) || name.startsWith(LOCATION + ".");
    }
}
