package io.locusfs.cli;

import io.locusfs.fuse.ControlServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
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
        Path socket = store.resolve(ControlServer.SOCKET_FILE);
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.write(StandardCharsets.ISO_8859_1.encode(String.join("\t", command) + "\n"));
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.ISO_8859_1));
            List<String> lines = new ArrayList<>();
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.equals("ok")) {
                    return lines;
                }
                if (line.startsWith("error\t")) {
                    throw new IOException(line.substring(6));
                }
                lines.add(line);
            }
            throw new IOException("the mount daemon closed the control socket without an answer");
        } catch (java.net.SocketException | java.nio.file.NoSuchFileException e) {
            throw new IOException("cannot reach the mount daemon at " + socket + ": " + e.getMessage(), e);
        }
    }
}
