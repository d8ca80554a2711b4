package io.locusfs.policy;

import java.util.List;

/** A policy that cannot be used; each problem names the file, the line and the column. */
public final class PolicyException extends Exception {
    private final List<String> problems;

    public PolicyException(List<String> problems) {
        super(String.join("\n", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
