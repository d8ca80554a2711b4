package io.locusfs.store;

/**
 * What an {@code fsync} waits for after this store's own log sync: the synchronous mirrors
 * holding the same state. The store knows no mirror; the replication daemon provides this.
 */
public interface SyncMirrors {
    /** No synchronous mirror: an fsync is this store's own. */
    SyncMirrors NONE = () -> { };

    /**
     * Returns once every synchronous mirror has made durable everything this store had made
     * durable when the call began (a mirror allowed to degrade that does not answer is passed
     * over, and says so in the status).
     *
     * @throws StoreException IO when that cannot be promised (the daemon is stopping)
     */
    void await();
}
