package io.locusfs.replicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.locusfs.wire.JsonLines;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

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
        return JsonLines.MAPPER.createObjectNode();
    }

    static void write(OutputStream out, JsonNode message) throws IOException {
        JsonLines.write(out, message);
    }

    static JsonNode read(InputStream in) throws IOException {
        return JsonLines.read(in, MAX_LINE);
    }

    /** As {@link #read}, but null when the peer closed the connection before the line began. */
    static JsonNode readOrEnd(InputStream in) throws IOException {
        return JsonLines.readOrEnd(in, MAX_LINE);
    }
}
