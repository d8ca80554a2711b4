package io.locusfs.tests;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A mirror as an operator runs it: {@code locusfs mirror serve} in its own process on a loopback
 * port, with real TLS certificates, its output in a log file. Stop sends SIGTERM; crash, SIGKILL.
 */
final class MirrorProcess implements AutoCloseable {
    final MountedStore store;
    final int port;
    final Path log;
    private final String extra;
    private final Certificates tls;
    private Process process;

    MirrorProcess(MountedStore store, Certificates tls, String certName, String extra) {
        this.store = store;
        this.tls = tls;
        this.port = freePort();
        this.log = store.root.resolve("mirror-" + port + ".log");
        this.extra = extra + " --tls-cert " + tls.dir.resolve(certName + ".crt") + " --tls-key " + tls.dir.resolve(certName + ".key");
        start();
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    String address() {
        return "127.0.0.1:" + port;
    }

    void start() {
        try {
            String command = MountedStore.LOCUSFS + " mirror serve " + store.store + " --listen " + address() + " --client-ca "
                    + tls.dir.resolve("ca.crt") + " --crl " + tls.dir.resolve("ca.crl") + " " + extra;
            // The log is appended to across restarts: wait for this start's line, not an earlier one's.
            long before = servingLines();
            process = new ProcessBuilder("bash", "-c", "exec " + command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            Waits.until(30, () -> servingLines() > before || !process.isAlive(), "the mirror to start");
            if (!process.isAlive()) {
                throw new AssertionError("the mirror did not start:\n" + logText());
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private long servingLines() {
        return logText().lines().filter(l -> l.contains("mirror serving")).count();
    }

    String logText() {
        try {
            return Files.exists(log) ? Files.readString(log, java.nio.charset.StandardCharsets.ISO_8859_1) : "";
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** SIGTERM, and wait until it is gone. */
    void stop() {
        if (process != null && process.isAlive()) {
            process.destroy();
            waitGone();
        }
    }

    /** SIGKILL, as a crash or a power cut would. */
    void crash() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            waitGone();
        }
    }

    private void waitGone() {
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                throw new AssertionError("the mirror did not stop:\n" + logText());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        crash();
    }
}
