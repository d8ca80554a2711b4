package io.locusfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import io.locusfs.fuse.ReadingTurn.Kind;
import org.junit.jupiter.api.Test;

class ReadingTurnTest {
    private static final int LOOKUP = 1;
    private static final int READ = 15;
    private static final int WRITE = 16;
    private static final int FSYNC = 20;
    private static final int READDIRPLUS = 44;

    private static final int MKDIR = 9;

    /** A {@code struct fuse_buf} holding a request header with {@code opcode} for node 5. */
    private static Pointer request(int opcode, boolean spliced) {
        return request(opcode, 5, spliced);
    }

    private static Pointer request(int opcode, long node, boolean spliced) {
        return request(opcode, node, 4096, spliced);
    }

    /** With {@code size} where a READ or WRITE carries its size. */
    private static Pointer request(int opcode, long node, int size, boolean spliced) {
        Runtime runtime = Runtime.getSystemRuntime();
        Pointer header = Memory.allocateDirect(runtime, 80, true);
        header.putInt(0, 80);
        header.putInt(4, opcode);
        header.putLong(16, node);
        header.putInt(56, size);
        Pointer buf = Memory.allocateDirect(runtime, Fuse3.BUF_SIZEOF, true);
        buf.putLong(0, 80);
        buf.putInt(Fuse3.BUF_FLAGS, spliced ? 1 << 1 : 0);
        buf.putPointer(Fuse3.BUF_MEM, header);
        return buf;
    }

    @Test
    void metadataReadsAreQuickDataWaitsOnlyForAQueueAndSyncsSnapshotsAndSplicesAlwaysPass() {
        assertEquals(Kind.QUICK, ReadingTurn.kindOf(request(LOOKUP, false)));
        assertEquals(Kind.QUICK, ReadingTurn.kindOf(request(READDIRPLUS, false)));
        assertEquals(Kind.DATA, ReadingTurn.kindOf(request(READ, false)));
        assertEquals(Kind.QUICK, ReadingTurn.kindOf(request(WRITE, false)));
        assertEquals(Kind.WAITS, ReadingTurn.kindOf(request(READ, 5, ReadingTurn.LONG_IO, false)));
        assertEquals(Kind.WAITS, ReadingTurn.kindOf(request(WRITE, 5, 1 << 20, false)));
        assertEquals(Kind.DATA, ReadingTurn.kindOf(request(MKDIR, false)));
        assertEquals(Kind.WAITS, ReadingTurn.kindOf(request(MKDIR, SnapshotDirectory.DIRECTORY_INO, false)));
        assertEquals(Kind.WAITS, ReadingTurn.kindOf(request(FSYNC, false)));
        assertEquals(Kind.WAITS, ReadingTurn.kindOf(request(LOOKUP, true)));
        assertEquals(Kind.WAITS, ReadingTurn.kindOf(request(4096, false)));
    }

    @Test
    void aDataRequestKeepsTheTurnWhenNothingIsQueuedAndPassesItWhenSomethingIs() throws Exception {
        ReadingTurn turn = new ReadingTurn();
        AtomicBoolean queued = new AtomicBoolean(false);
        turn.askQueuedOf(queued::get);
        turn.take();
        turn.beforeProcessing(request(READ, false));
        assertFalse(takenElsewhere(turn), "passed with nothing queued");
        queued.set(true);
        turn.beforeProcessing(request(LOOKUP, false));
        assertFalse(takenElsewhere(turn), "passed before a quick request");
        turn.beforeProcessing(request(READ, false));
        assertTrue(takenElsewhere(turn), "kept before a data request with others queued");
    }

    /** Whether another thread can take the turn within 200 ms (and then gives it back). */
    private static boolean takenElsewhere(ReadingTurn turn) throws InterruptedException {
        CountDownLatch took = new CountDownLatch(1);
        Thread other = new Thread(() -> {
            turn.take();
            took.countDown();
            turn.pass();
        });
        other.setDaemon(true);
        other.start();
        return took.await(200, TimeUnit.MILLISECONDS);
    }

    @Test
    void aWorkerKeepsTheTurnThroughQuickRequestsAndPassesItBeforeOneThatWaits() throws Exception {
        ReadingTurn turn = new ReadingTurn();
        turn.take();
        AtomicBoolean otherReads = new AtomicBoolean();
        CountDownLatch took = new CountDownLatch(1);
        Thread other = new Thread(() -> {
            turn.take();
            otherReads.set(true);
            took.countDown();
            turn.pass();
        });
        other.start();
        turn.beforeProcessing(request(LOOKUP, false));
        turn.take(); // held already: does not wait
        assertFalse(took.await(200, TimeUnit.MILLISECONDS), "another worker read while this one held the turn");
        turn.beforeProcessing(request(FSYNC, false));
        assertTrue(took.await(10, TimeUnit.SECONDS), "the turn was not passed before an FSYNC");
        other.join();
        assertTrue(otherReads.get());
        turn.take(); // free again once the other passed it
        turn.pass();
        turn.pass(); // passing a turn not held makes no second turn
        turn.take();
        CountDownLatch second = new CountDownLatch(1);
        Thread waiting = new Thread(() -> {
            turn.take();
            second.countDown();
            turn.pass();
        });
        waiting.start();
        assertFalse(second.await(200, TimeUnit.MILLISECONDS), "two workers read at once");
        turn.pass();
        assertTrue(second.await(10, TimeUnit.SECONDS));
        waiting.join();
    }
}
