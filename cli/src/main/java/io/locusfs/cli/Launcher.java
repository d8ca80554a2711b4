package io.locusfs.cli;

import java.util.ArrayList;
import java.util.List;

/** How to start this same program again: the launcher script if we came through it, else this JVM. */
final class Launcher {
    private Launcher() {
    }

    static String[] command() {
        String script = System.getenv("LOCUSFS_LAUNCHER");
        if (script != null && !script.isEmpty()) {
            return new String[] {script};
        }
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("-Dfile.encoding=" + System.getProperty("file.encoding"));
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Main.class.getName());
        return command.toArray(new String[0]);
    }
}
