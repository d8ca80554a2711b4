package io.locusfs.fuse;

import io.locusfs.policy.ClaimBook;
import io.locusfs.policy.NearestCopy;
import io.locusfs.policy.PathPattern;
import io.locusfs.policy.Policy;
import io.locusfs.policy.PolicyEngine;
import io.locusfs.policy.PolicyException;
import io.locusfs.policy.PolicyFile;
import io.locusfs.store.StoreException;
import io.locusfs.xattr.Location;
import io.locusfs.xattr.LocationRecord;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The door: applies the location policy to the mount's operations. Builds each request from the
 * caller (uid, groups from /proc, location from a valid claim or the node's), the file's signed
 * location, and the path; asks {@link PolicyEngine}; a refusal becomes EACCES, a log line and an
 * audit line. Without a policy, or for a path no rule speaks of, it costs one index lookup.
 * Thread-safe.
 */
public final class PolicyGate implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PolicyGate.class);

    /** Who is calling: from the FUSE request. */
    record Caller(long uid, long gid, long pid) {
    }

    private final PolicyFile policy;
    private final Locations locations;
    private final SystemAccounts accounts;
    private final AuditLog audit;
    private final ClaimBook claims = new ClaimBook(message -> log.warn("{}", message));

    public PolicyGate(PolicyFile policy, Locations locations, SystemAccounts accounts, AuditLog audit) {
        this.policy = policy;
        this.locations = locations;
        this.accounts = accounts;
        this.audit = audit;
    }

    /** A gate that lets everything through: a mount without --policy. */
    public static PolicyGate open(Locations locations) {
        return new PolicyGate(null, locations, null, null);
    }

    public boolean enforcing() {
        return policy != null;
    }

    /** The policy in force, if the mount enforces one. */
    public Optional<Policy> policyInForce() {
        return policy == null ? Optional.empty() : Optional.of(policy.current());
    }

    /**
     * Checks that {@code caller} may read or write {@code path} ({@code ino} 0: a file about to
     * be created here).
     *
     * @throws StoreException ACCESS_DENIED, after logging and auditing the refusal
     */
    void access(String operation, String path, long ino, Policy.Operation op, Caller caller) {
        if (policy == null) {
            return;
        }
        Policy p = policy.current();
        String text = policyPath(path);
        List<Policy.AccessRule> rules = p.accessRulesFor(PathPattern.split(text));
        if (rules.isEmpty()) {
            return;
        }
        String user = accounts.userName(caller.uid());
        boolean needsGroups = rules.stream().anyMatch(r -> !r.groups().isEmpty());
        Set<String> groups = needsGroups ? accounts.groupsOf(caller.pid(), caller.gid()) : Set.of();
        Instant now = Instant.now();
        Optional<Location> from = claims.locate(user, node(), now, p);
        Optional<Location> file = Optional.of(fileLocation(ino));
        List<PolicyEngine.Presence> present = presence(rules, user, groups, now, p);
        PolicyEngine.Decision d = PolicyEngine.decide(new PolicyEngine.Request(op, text, user, groups, from, file, present), p, rules);
        if (!d.allowed()) {
            refuse(operation, text, caller, user, from, file, d);
        } else if (!present.isEmpty() && audit != null) {
            // Opened because people were together: the audit trail keeps whose claims allowed it.
            audit.write(new AuditLog.Entry(caller.uid(), user, caller.pid(), operation, text, from.map(l -> l.zone().toString()).orElse(null),
                    file.map(l -> l.zone().toString()).orElse(null), d.rule(), d.reason()), "allowed");
        }
    }

    /**
     * For rules over groups of people ({@code together}), where the claims put the caller and every
     * member of the groups they name; empty when no such rule is among {@code rules}.
     */
    private List<PolicyEngine.Presence> presence(List<Policy.AccessRule> rules, String user, Set<String> callerGroups, Instant now, Policy p) {
        Set<String> named = new java.util.HashSet<>();
        rules.forEach(r -> r.together().ifPresent(t -> named.add(t.group())));
        if (named.isEmpty()) {
            return List.of();
        }
        Map<String, Set<String>> people = new java.util.TreeMap<>(accounts.membersOf(named));
        for (String g : named) {
            for (String member : p.groups().getOrDefault(g, Set.of())) {
                people.putIfAbsent(member, accounts.groupsOfUser(member));
            }
        }
        people.put(user, callerGroups.isEmpty() ? accounts.groupsOfUser(user) : callerGroups);
        return claims.presence(people, now, p);
    }

    /**
     * Checks that data may be stored at {@code path} on this node (create, rename, link).
     *
     * @throws StoreException ACCESS_DENIED, after logging and auditing the refusal
     */
    void placement(String operation, String path, Caller caller) {
        if (policy == null) {
            return;
        }
        Policy p = policy.current();
        if (p.placementRules().isEmpty()) {
            return;
        }
        String text = policyPath(path);
        Location here = node();
        PolicyEngine.Decision d = PolicyEngine.placement(text, here.zone(), p);
        if (!d.allowed()) {
            String user = accounts.userName(caller.uid());
            refuse(operation, text, caller, user, claims.locate(user, here, Instant.now(), p), Optional.of(here), d);
        }
    }

    /** Explains, for {@code user} (at {@code from}, or where claims put them), read and write of {@code path}. */
    public List<String> explain(String user, Optional<Location> from, String path, long ino) {
        if (policy == null) {
            return List.of("policy\tnone: this mount enforces no policy (mount with --policy FILE)");
        }
        if (!accounts.hasUser(user)) {
            throw new IllegalArgumentException("no user named '" + user + "' on this system");
        }
        Policy p = policy.current();
        Optional<Location> caller = from.isPresent() ? from : claims.locate(user, node(), Instant.now(), p);
        Optional<Location> file = Optional.of(ino == 0 ? node() : fileLocation(ino));
        String text = policyPath(path);
        Set<String> groups = accounts.groupsOfUser(user); // Policy groups are matched by the engine itself.
        List<PolicyEngine.Presence> present = presence(p.accessRulesFor(PathPattern.split(text)), user, groups, Instant.now(), p);
        PolicyEngine.Decision read = PolicyEngine.decide(new PolicyEngine.Request(Policy.Operation.READ, text, user, groups, caller, file, present), p);
        PolicyEngine.Decision write = PolicyEngine.decide(new PolicyEngine.Request(Policy.Operation.WRITE, text, user, groups, caller, file, present), p);
        PolicyEngine.Decision place = PolicyEngine.placement(text, node().zone(), p);
        return List.of("policy\t" + p.source(),
                "caller\t" + caller.map(PolicyGate::describe).orElse("unknown"),
                "file\t" + file.map(PolicyGate::describe).orElse("unknown"),
                "read\t" + verdict(read), "write\t" + verdict(write),
                "placement\t" + verdict(place) + "\t" + PolicyEngine.replicasWanted(text, p) + " replica(s) wanted");
    }

    /**
     * Every copy of the file at {@code path} ({@code ino} in the live tree): here, and each replica
     * the mirrors acknowledged, ranked for {@code user} reading from {@code from} (else where a
     * valid claim puts them, else at the node) by {@link NearestCopy}: nearest permitted first. The
     * first line is {@code caller<TAB>LOCATION}; then one line a copy,
     * {@code NAME<TAB>ZONE<TAB>COORDS|-<TAB>DISTANCE<TAB>allowed|refused<TAB>RULE<TAB>REASON<TAB>SNAPSHOT|-}.
     */
    public List<String> copies(String user, Optional<Location> from, String path, long ino) {
        Policy p = policy == null ? null : policy.current();
        if (p != null && !accounts.hasUser(user)) {
            throw new IllegalArgumentException("no user named '" + user + "' on this system");
        }
        Location caller = from.orElseGet(() -> p == null ? node() : claims.locate(user, node(), Instant.now(), p).orElse(node()));
        List<NearestCopy.Candidate> candidates = new ArrayList<>();
        candidates.add(new NearestCopy.Candidate("here", fileLocation(ino), true));
        Map<String, String> snapshots = new HashMap<>();
        for (Locations.Replica r : locations.replicasOf(ino)) {
            candidates.add(new NearestCopy.Candidate(r.mirror(), r.location(), true));
            snapshots.put(r.mirror(), r.snapshot());
        }
        NearestCopy.Reader reader = new NearestCopy.Reader(Optional.of(user), p == null ? Set.of() : accounts.groupsOfUser(user), caller);
        List<String> lines = new ArrayList<>();
        lines.add("caller\t" + describe(caller));
        for (NearestCopy.Ranked r : NearestCopy.rank(policyPath(path), reader, candidates, p)) {
            Location at = r.copy().location();
            lines.add(r.copy().name() + "\t" + at.zone() + "\t" + at.coordinates().map(Object::toString).orElse("-") + "\t"
                    + r.proximity().describe() + "\t" + verdict(r.decision()) + "\t"
                    + snapshots.getOrDefault(r.copy().name(), "-"));
        }
        return lines;
    }

    /** Reloads the policy if its file changed; a broken file is logged and the old policy kept. */
    public void reloadIfChanged() {
        if (policy == null) {
            return;
        }
        try {
            if (policy.reloadIfChanged()) {
                logReloaded("changed");
            }
        } catch (PolicyException e) {
            log.error("the policy {} was not reloaded, the previous one stays in force:\n{}", policy.file(), e.getMessage());
        }
    }

    private void logReloaded(String why) {
        log.info("policy {} reloaded ({}): {} access and {} placement rules", policy.file(), why,
                policy.current().accessRules().size(), policy.current().placementRules().size());
    }

    /** Reloads now (SIGHUP). */
    public void reload() {
        if (policy == null) {
            return;
        }
        try {
            policy.reload();
            accounts.reload();
            logReloaded("SIGHUP");
        } catch (PolicyException e) {
            log.error("the policy {} was not reloaded, the previous one stays in force:\n{}", policy.file(), e.getMessage());
        }
    }

    private void refuse(String operation, String path, Caller caller, String user, Optional<Location> from,
                        Optional<Location> file, PolicyEngine.Decision d) {
        String callerZone = from.map(l -> l.zone().toString()).orElse(null);
        String fileZone = file.map(l -> l.zone().toString()).orElse(null);
        log.info("refused {} {} for {} (uid {}, pid {}) from {}: {}", operation, path, user, caller.uid(), caller.pid(),
                callerZone, d.reason());
        audit.write(new AuditLog.Entry(caller.uid(), user, caller.pid(), operation, path, callerZone, fileZone, d.rule(), d.reason()), "refused");
        throw new StoreException(StoreException.Kind.ACCESS_DENIED, path + ": refused by the location policy: " + d.reason());
    }

    private Location node() {
        return locations.store().location();
    }

    private Location fileLocation(long ino) {
        if (ino == 0) {
            return node();
        }
        LocationRecord record = locations.recordOf(ino);
        return new Location(record.zone(), record.coordinates(), Optional.empty());
    }

    /** FUSE paths carry raw name bytes one char per byte; policy patterns are UTF-8 text. */
    private static String policyPath(String path) {
        return new String(Names.bytes(path), StandardCharsets.UTF_8);
    }

    private static String verdict(PolicyEngine.Decision d) {
        return (d.allowed() ? "allowed" : "refused") + "\t" + d.rule() + "\t" + d.reason();
    }

    private static String describe(Location l) {
        return l.zone() + l.coordinates().map(c -> " (" + c + ")").orElse("");
    }

    @Override
    public void close() throws Exception {
        if (audit != null) {
            audit.close();
        }
    }
}
