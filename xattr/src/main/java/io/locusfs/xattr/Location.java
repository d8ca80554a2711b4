package io.locusfs.xattr;

import java.util.Optional;

/**
 * Where data physically lives: a zone path, optional coordinates and an optional free-text label.
 * Immutable.
 */
public record Location(ZonePath zone, Optional<Coordinates> coordinates, Optional<String> label) {

    public Location {
        if (label.isPresent() && (label.get().indexOf('\n') >= 0 || label.get().length() > 200)) {
            throw new IllegalArgumentException("label must be one line of at most 200 characters");
        }
    }

    public static Location of(String zone) {
        return new Location(ZonePath.parse(zone), Optional.empty(), Optional.empty());
    }

    /**
     * Encodes as three lines ({@code zone}, {@code coords} or empty, {@code label} or empty) in UTF-8;
     * the inverse of {@link #decode}.
     */
    public String encode() {
        return zone + "\n" + coordinates.map(Coordinates::toString).orElse("") + "\n" + label.orElse("");
    }

    /**
     * Decodes what {@link #encode} wrote.
     *
     * @throws IllegalArgumentException when the text is not an encoded location
     */
    public static Location decode(String text) {
        String[] lines = text.split("\n", -1);
        if (lines.length != 3) {
            throw new IllegalArgumentException("an encoded location has 3 lines, found " + lines.length);
        }
        return new Location(ZonePath.parse(lines[0]),
                lines[1].isEmpty() ? Optional.empty() : Optional.of(Coordinates.parse(lines[1])),
                lines[2].isEmpty() ? Optional.empty() : Optional.of(lines[2]));
    }
}
