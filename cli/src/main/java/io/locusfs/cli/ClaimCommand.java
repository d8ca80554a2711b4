package io.locusfs.cli;

import io.locusfs.daemon.StoreConfig;
import io.locusfs.policy.Claim;
import io.locusfs.xattr.Coordinates;
import io.locusfs.xattr.Location;
import io.locusfs.xattr.NodeIdentity;
import io.locusfs.xattr.ZonePath;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "claim",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        header = "Assert, as a location authority, where a user is for a while.",
        description = {
            "Writes CLAIMS/USER.claim: a claim that USER is in ZONE (at LAT,LON) until the expiry, signed "
                + "with the authority's key. A mount whose policy trusts that authority "
                + "([claims] authorities) and reads that directory ([claims] directory) then judges "
                + "USER's requests from ZONE. An expired, unsigned, forged or untrusted claim is ignored "
                + "and logged; the user is then where the node is (or nowhere, with caller_default = \"none\").",
            "",
            "Make the authority's keys once with 'locusfs authority init DIR'.",
            "",
            "Example:",
            "  locusfs claim --user alice --location eu/gb/london/office-1 \\",
            "      --coords 51.5074,-0.1278 --expires 8h"})
final class ClaimCommand implements Callable<Integer> {
    @Option(names = "--user", required = true, paramLabel = "USER", description = "Whose location this is.")
    String user;

    @Option(names = "--location", required = true, paramLabel = "ZONE", description = "Where the user is.")
    String zone;

    @Option(names = "--coords", paramLabel = "LAT,LON", description = "The user's coordinates (for distance rules).")
    String coords;

    @Option(names = "--expires", required = true, paramLabel = "DURATION",
            description = "How long the claim holds: a number and s, m, h, d or w (e.g. 8h).")
    String expires;

    @Option(names = "--authority", paramLabel = "DIR", defaultValue = "/etc/locusfs/authority",
            description = "The authority's key directory (authority.key, authority.pub; default: ${DEFAULT-VALUE}).")
    Path authority;

    @Option(names = "--claims", paramLabel = "DIR", defaultValue = "/var/lib/locusfs/claims",
            description = "Where claims are kept, as the policy's [claims] directory says (default: ${DEFAULT-VALUE}).")
    Path claims;

    @Override
    public Integer call() throws Exception {
        if (user.isEmpty() || user.contains("/") || user.startsWith(".")) {
            throw new IllegalArgumentException("'" + user + "' is not a user name");
        }
        Location location = new Location(ZonePath.parse(zone), Optional.ofNullable(coords).map(Coordinates::parse), Optional.empty());
        Duration valid = StoreConfig.parseDuration(expires);
        NodeIdentity key = NodeIdentity.load(authority.resolve(AuthorityCommand.PRIVATE_KEY), authority.resolve(AuthorityCommand.PUBLIC_KEY));
        Instant now = Instant.now();
        Claim claim = Claim.sign(key, user, location, now, now.plus(valid));
        Files.createDirectories(claims);
        Path target = claims.resolve(user + ".claim");
        Path temp = Files.createTempFile(claims, "." + user, ".tmp");
        Files.writeString(temp, claim.encode());
        Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--"));
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        System.out.println(target + ": " + user + " is in " + location.zone() + " until " + claim.expires()
                + " (signed by authority " + key.nodeId() + ")");
        return 0;
    }
}
