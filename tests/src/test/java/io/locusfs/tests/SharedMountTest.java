package io.locusfs.tests;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/** Tests that share one mounted store for the whole class (each test works in its own names). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SharedMountTest {
    protected MountedStore m;

    /** The location of the test store. */
    protected String zone() {
        return "eu/gb/london/hq";
    }

    @BeforeAll
    void mountSharedStore() {
        m = MountedStore.create(zone());
    }

    @AfterAll
    void unmountSharedStore() {
        m.close();
    }
}
