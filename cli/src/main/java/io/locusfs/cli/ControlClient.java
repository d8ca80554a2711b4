package io.locusfs.cli;

import io.locusfs.daemon.ControlServer;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** Asks a mounted store's daemon over its control socket (protocol: {@link ControlServer}). */
final class ControlClient {
    private ControlClient() {
    }

    /**
     * Sends one command and returns the data lines of the answer.
     *
     * @throws IOException when the daemon cannot be reached or answers with an error (its message)
     */
    static List<String> call(Path store, String... command) throws IOException {
        String data = new String(callRaw(store, command), StandardCharsets.ISO_8859_1);
        return data.isEmpty() ? List.of() : List.of(data.split("\n"));
    }

    /**
     * Sends one command of a long job (export, import) and returns the data lines of the answer;
     * the {@code total} and {@code progress} lines the daemon sends while it works go to
     * {@code progress} instead.
     *
     * @throws IOException when the daemon cannot be reached or answers with an error (its message)
     */
    static List<String> call(Path store, io.locusfs.tree.Progress progress, String... command) throws IOException {
        Path socket = store.resolve(ControlServer.SOCKET_FILE);
        List<String> data = new java.util.ArrayList<>();
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.write(StandardCharsets.ISO_8859_1.encode(String.join("\t", command) + "\n"));
            java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(
                    Channels.newInputStream(channel), StandardCharsets.ISO_8859_1));
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                String[] f = line.split("\t", -1);
                if (f[0].equals(ControlServer.PROGRESS) && f.length == 3) {
                    progress.advance(Long.parseLong(f[1]), Long.parseLong(f[2]));
                } else if (f[0].equals(ControlServer.TOTAL) && f.length == 3) {
                    progress.total(Long.parseLong(f[1]), Long.parseLong(f[2]));
                } else if (line.equals("ok")) {
                    return data;
                } else if (line.startsWith("error\t")) {
                    throw new IOException(line.substring(6));
                } else {
                    data.add(line);
                }
            }
        } catch (java.net.SocketException | java.nio.file.NoSuchFileException e) {
            throw new IOException("cannot reach the mount daemon at " + socket + ": " + e.getMessage(), e);
        }
        throw new IOException("the mount daemon closed the control socket without an answer");
    }

    /**
     * Sends one command and returns the data lines of the answer as raw bytes, each line ending
     * in a newline: one bulk read, so that a large answer costs no per-line work here.
     */
    static byte[] callRaw(Path store, String... command) throws IOException {
        Path socket = store.resolve(ControlServer.SOCKET_FILE);
        byte[] answer;
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.write(StandardCharsets.ISO_8859_1.encode(String.join("\t", command) + "\n"));
            answer = Channels.newInputStream(channel).readAllBytes();
        } catch (java.net.SocketException | java.nio.file.NoSuchFileException e) {
            throw new IOException("cannot reach the mount daemon at " + socket + ": " + e.getMessage(), e);
        }
        int lastLine = answer.length < 2 ? 0 : lastIndexOf(answer, (byte) '\n', answer.length - 2) + 1;
        String last = new String(answer, lastLine, answer.length - lastLine, StandardCharsets.ISO_8859_1).strip();
        if (last.equals("ok")) {
            return Arrays.copyOf(answer, lastLine);
        }
        if (last.startsWith("error\t")) {
            throw new IOException(last.substring(6));
        }
        throw new IOException("the mount daemon closed the control socket without an answer");
    }

    private static int lastIndexOf(byte[] bytes, byte b, int from) {
        for (int i = from; i >= 0; i--) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
