package io.locusfs.wire;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * JSON lines: one JSON value per line, UTF-8, ended by a newline. A reader stops at the newline
 * (what follows may be read by others, as the stream after a mirror's {@code send}) and refuses
 * a line longer than its bound before parsing it: a peer cannot make it buffer without end.
 */
public final class JsonLines {
    /** The one mapper: unknown fields are ignored, so either side may add one. */
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(SerializationFeature.FAIL_ON_EMPTY_BEANS, false);

    private JsonLines() {
    }

    /**
     * Writes {@code value} as one line in one write: a line split over two TLS records waited for
     * the peer's delayed acknowledgement of the first (Nagle), 40 ms a message.
     */
    public static void write(OutputStream out, Object value) throws IOException {
        byte[] json = MAPPER.writeValueAsBytes(value);
        byte[] line = Arrays.copyOf(json, json.length + 1);
        line[json.length] = '\n';
        out.write(line);
        out.flush();
    }

    /** Reads one line, at most {@code maxLine} bytes, without reading past it. */
    public static JsonNode read(InputStream in, int maxLine) throws IOException {
        JsonNode line = readOrEnd(in, maxLine);
        if (line == null) {
            throw new EOFException("the peer closed the connection");
        }
        return line;
    }

    /** As {@link #read}, but null when the peer closed the connection before the line began. */
    public static JsonNode readOrEnd(InputStream in, int maxLine) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) {
                if (line.size() == 0) {
                    return null;
                }
                throw new EOFException("the peer closed the connection in the middle of a line");
            }
            if (b == '\n') {
                break;
            }
            if (line.size() >= maxLine) {
                throw new IOException("the peer sent a line longer than " + maxLine + " bytes");
            }
            line.write(b);
        }
        try {
            return MAPPER.readTree(line.toByteArray());
        } catch (IOException e) {
            throw new IOException("the peer sent something that is not a JSON line: " + e.getMessage(), e);
        }
    }
}
