package io.locusfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** What every {@code --help} shows a user at an 80-column terminal. */
class HelpTest {
    /** An example in a help text: a command line indented by two spaces. */
    private static final Pattern EXAMPLE = Pattern.compile("^  (locusfs|getfattr|setfattr|mkdir|ls|kill|tar|cat|ssh|sqlite3|rmdir|cp|rsync)( .*)?$");

    @Test
    void everyExampleFitsOnItsLinesSoThatPastingItWorks() {
        List<String> wrapped = new ArrayList<>();
        int examples = 0;
        for (CommandLine command : allCommands(Main.commandLine())) {
            String at80 = usage(command, 80);
            for (String line : usage(command, 200).split("\n")) {
                if (EXAMPLE.matcher(line).matches()) {
                    examples++;
                    if (!at80.contains(line + "\n")) {
                        wrapped.add(command.getCommandSpec().qualifiedName() + ": " + line.strip());
                    }
                }
            }
        }
        assertTrue(examples > 40, "found only " + examples + " examples: the pattern no longer sees them");
        assertEquals(List.of(), wrapped, "examples wrapped at 80 columns (keep each on one line, or break it with \\)");
    }

    private static String usage(CommandLine command, int width) {
        command.setUsageHelpWidth(width);
        return command.getUsageMessage(CommandLine.Help.Ansi.OFF).replace("\r", "");
    }

    private static List<CommandLine> allCommands(CommandLine root) {
        List<CommandLine> all = new ArrayList<>(List.of(root));
        for (CommandLine sub : root.getSubcommands().values()) {
            if (!all.contains(sub)) {
                for (CommandLine c : allCommands(sub)) {
                    if (!all.contains(c)) {
                        all.add(c);
                    }
                }
            }
        }
        return all;
    }
}
