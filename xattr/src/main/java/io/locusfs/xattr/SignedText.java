package io.locusfs.xattr;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The text shape shared by signed records (location records, location claims): a header line,
 * then one {@code key=value} per line. Only the reading lives here; each record says which keys
 * it needs and what they mean. Stateless.
 */
public final class SignedText {
    private SignedText() {
    }

    /**
     * The fields of {@code text}, whose first line must be {@code header} and which must hold every
     * key of {@code required}.
     *
     * @param kind what the text is, for messages ("location record")
     * @throws IllegalArgumentException naming the line or key that is wrong
     */
    public static Map<String, String> fields(String text, String header, String kind, String... required) {
        String[] lines = text.split("\n");
        if (lines.length == 0 || !lines[0].equals(header)) {
            throw new IllegalArgumentException("not a " + kind + " (first line must be '" + header + "')");
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int eq = lines[i].indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("line " + (i + 1) + " of the " + kind + " is not key=value");
            }
            fields.put(lines[i].substring(0, eq), lines[i].substring(eq + 1));
        }
        for (String key : required) {
            if (!fields.containsKey(key)) {
                throw new IllegalArgumentException("the " + kind + " has no '" + key + "' line");
            }
        }
        return fields;
    }
}
