package io.locusfs.tests;

import java.util.function.BooleanSupplier;

/** Polling for things that happen by themselves (a daemon's schedule, a mirror's heartbeat). */
final class Waits {
    private Waits() {
    }

    /** Waits up to {@code seconds} for {@code condition}, failing with what was awaited. */
    static void until(long seconds, BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited " + seconds + " s for " + what);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
    }
}
