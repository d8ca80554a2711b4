package io.locusfs.replicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The conversation between a sender and a mirror over TLS (STREAM.md, "Mirror protocol"): JSON
 * lines, and after a {@code send} request the stream itself. Requests: {@code hello} (who the
 * mirror is, what it holds, where an unfinished receive stands; also the heartbeat) and
 * {@code send} (a stream follows; the mirror answers {@code ack} lines as frames become durable,
 * then one {@code done} or {@code error} line). A send may follow a hello on the same connection.
 */
final class MirrorProtocol {
    /** Longest line either side reads: a request or answer is small; anything longer is hostile. */
    private static final int MAX_LINE = 256 * 1024;

    private MirrorProtocol() {
    }

    static ObjectNode object() {
        return StreamHeader.JSON.createObjectNode();
    }

    /**
     * Writes one message as one write: a line split over two TLS records waited for the peer's
     * delayed acknowledgement of the first (Nagle), 40 ms a message.
     */
    static void write(OutputStream out, JsonNode message) throws IOException {
        byte[] json = StreamHeader.JSON.writeValueAsBytes(message);
        byte[] line = java.util.Arrays.copyOf(json, json.length + 1);
        line[json.length] = '\n';
        out.write(line);
        out.flush();
    }

    /** Reads one line without reading past it (the stream that follows is read by others). */
    static JsonNode read(InputStream in) throws IOException {
        JsonNode line = readOrEnd(in);
        if (line == null) {
            throw new java.io.EOFException("the peer closed the connection");
        }
        return line;
    }

    /** As {@link #read}, but null when the peer closed the connection before the line began. */
    static JsonNode readOrEnd(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) {
                if (line.size() == 0) {
                    return null;
                }
                throw new java.io.EOFException("the peer closed the connection in the middle of a line");
            }
            if (b == '\n') {
                break;
            }
            if (line.size() >= MAX_LINE) {
                throw new IOException("the peer sent a line longer than " + MAX_LINE + " bytes");
            }
            line.write(b);
        }
        try {
            return StreamHeader.JSON.readTree(line.toString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IOException("the peer sent something that is not a JSON line: " + e.getMessage(), e);
        }
    }
}
