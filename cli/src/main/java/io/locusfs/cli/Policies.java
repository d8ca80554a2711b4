package io.locusfs.cli;

import io.locusfs.policy.Policy;
import io.locusfs.policy.PolicyFile;
import java.nio.file.Path;
import java.util.Set;

/** Loads a policy file for commands that only need its placement rules. */
final class Policies {
    private Policies() {
    }

    /** The policy in {@code file}, or null when no file is given. */
    static Policy load(Path file) throws Exception {
        return file == null ? null : PolicyFile.load(file, Set::of).current();
    }
}
