package io.locusfs.xattr;

import java.util.Locale;

/** A point on the Earth in decimal degrees (WGS 84). Immutable. */
public record Coordinates(double latitude, double longitude) {

    public Coordinates {
        if (!(latitude >= -90 && latitude <= 90)) {
            throw new IllegalArgumentException("latitude " + latitude + " is outside -90..90");
        }
        if (!(longitude >= -180 && longitude <= 180)) {
            throw new IllegalArgumentException("longitude " + longitude + " is outside -180..180");
        }
    }

    /**
     * Parses {@code LAT,LON}, for example {@code 51.5072,-0.1276}.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static Coordinates parse(String text) {
        String[] parts = text.split(",", -1);
        if (parts.length != 2) {
            throw new IllegalArgumentException("coordinates '" + text + "' must be LAT,LON such as 51.5072,-0.1276");
        }
        try {
            return new Coordinates(Double.parseDouble(parts[0].trim()), Double.parseDouble(parts[1].trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("coordinates '" + text + "' are not two decimal numbers");
        }
    }

    /** Mean radius of the Earth in km (IUGG), the sphere the distance is measured on. */
    public static final double EARTH_RADIUS_KM = 6371.0088;

    /**
     * The great-circle distance to {@code other} in kilometres, on a spherical Earth (haversine
     * formula; within 0.5% of the ellipsoidal distance).
     */
    public double distanceKm(Coordinates other) {
        double lat1 = Math.toRadians(latitude);
        double lat2 = Math.toRadians(other.latitude);
        double dLat = lat2 - lat1;
        double dLon = Math.toRadians(other.longitude - longitude);
        double h = Math.sin(dLat / 2) * Math.sin(dLat / 2)
                + Math.cos(lat1) * Math.cos(lat2) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
        return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%.6f,%.6f", latitude, longitude);
    }
}
