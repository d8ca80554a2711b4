package io.locusfs.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "verify",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        header = "Check the signed location records of files.",
        description = {
            "For each PATH on a LocusFS mount, checks its location record (user.location.record): "
                + "present, well formed, signed by a trusted node (the store's own key, or a key in "
                + "--trusted-keys DIR), and belonging to that file (the store-wide record of the same "
                + "store, or a record naming the file). Prints one line per file.",
            "",
            "A PATH outside LocusFS that carries a record as a plain xattr (extracted from a LocusFS tar "
                + "export with 'tar --xattrs', or copied with 'cp -a') is checked for its signature by a key "
                + "in --trusted-keys: its provenance, not which file it was.",
            "",
            "Example:",
            "  locusfs verify --trusted-keys /etc/locusfs/nodes /mnt/locus/*"},
        footerHeading = "%nExit status:%n",
        footer = {"  0  every record checks out", "  1  a record is missing, forged, untrusted or belongs elsewhere"})
final class VerifyCommand implements Callable<Integer> {

    @Parameters(paramLabel = "PATH", arity = "1..*", description = "Files and directories on a LocusFS mount, or copies carrying a record.")
    List<Path> paths;

    @Option(names = "--json", description = "Print a JSON array, one object per path: path, ok, zone, node, problem.")
    boolean json;

    @Option(names = "--trusted-keys", paramLabel = "DIR", description = "Directory of trusted node public keys (*.pub).")
    Path trustedKeys;

    @Override
    public Integer call() throws Exception {
        boolean allOk = true;
        RecordCheck.Checker checker = new RecordCheck.Checker(trustedKeys);
        ObjectMapper mapper = new ObjectMapper();
        ArrayNode results = mapper.createArrayNode();
        for (Path path : paths) {
            RecordCheck check = checker.check(path);
            if (json) {
                var o = results.addObject().put("path", path.toString()).put("ok", check.ok());
                if (check.ok()) {
                    o.put("zone", check.record().zone().toString()).put("node", check.record().node());
                } else {
                    o.put("problem", check.problem());
                }
                allOk &= check.ok();
            } else if (check.ok()) {
                System.out.println(path + ": ok (" + check.record().zone() + ", signed by node " + check.record().node() + ")");
            } else {
                System.out.println(path + ": FAILED: " + check.problem());
                allOk = false;
            }
        }
        if (json) {
            System.out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(results));
        }
        return allOk ? 0 : 1;
    }
}
