package io.locusfs.xattr;

import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * How near a copy of a file is to the one who reads it: the great-circle distance when both
 * locations have coordinates, and the leading zone segments they share. Nearer sorts first:
 * copies whose distance is known come first, by distance; then the others, by how much of the
 * zone path they share with the reader (the same zone, then the same parent zone, and so on).
 *
 * @param km     the distance in kilometres, empty when either location lacks coordinates
 * @param shared the leading zone segments the two locations share (empty: none)
 */
public record Proximity(OptionalDouble km, List<String> shared, boolean sameZone) implements Comparable<Proximity> {

    public Proximity {
        shared = List.copyOf(shared);
    }

    /** The proximity of a copy at {@code copy} to a reader at {@code reader}. */
    public static Proximity between(Location reader, Location copy) {
        OptionalDouble km = reader.coordinates().isPresent() && copy.coordinates().isPresent()
                ? OptionalDouble.of(reader.coordinates().get().distanceKm(copy.coordinates().get())) : OptionalDouble.empty();
        List<String> a = reader.zone().segments();
        List<String> b = copy.zone().segments();
        int n = 0;
        while (n < a.size() && n < b.size() && a.get(n).equals(b.get(n))) {
            n++;
        }
        return new Proximity(km, a.subList(0, n), a.equals(b));
    }

    @Override
    public int compareTo(Proximity other) {
        if (km.isPresent() != other.km.isPresent()) {
            return km.isPresent() ? -1 : 1;
        }
        if (km.isPresent()) {
            return Double.compare(km.getAsDouble(), other.km.getAsDouble());
        }
        if (sameZone != other.sameZone) {
            return sameZone ? -1 : 1;
        }
        return Integer.compare(other.shared.size(), shared.size());
    }

    /** In words: "478 km", "same zone", "shares eu/de", "no zone in common". */
    public String describe() {
        if (km.isPresent()) {
            double d = km.getAsDouble();
            return d < 10 ? String.format(Locale.ROOT, "%.1f km", d) : String.format(Locale.ROOT, "%.0f km", d);
        }
        if (sameZone) {
            return "same zone";
        }
        return shared.isEmpty() ? "no zone in common" : "shares " + String.join("/", shared);
    }
}
