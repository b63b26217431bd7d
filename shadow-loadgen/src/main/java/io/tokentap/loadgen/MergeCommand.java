package io.tokentap.loadgen;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokentap.loadgen.analysis.results.ResultFile;
import io.tokentap.loadgen.analysis.results.ResultFormatException;
import io.tokentap.loadgen.report.ReportWriter;
import io.tokentap.loadgen.result.ConsoleTable;
import io.tokentap.loadgen.result.ResultsCsv;
import io.tokentap.loadgen.result.ResultsJson;
import io.tokentap.loadgen.result.RunResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tokentap merge DIR... --out DIR}: adds up the results of shards that ran side by side (a distributed run,
 * e.g. {@code tokentap replay --shard i/N} in N pods). Stage {@code i} of every shard is added to stage {@code i}:
 * the HdrHistograms add exactly, so the merged percentiles are those of all the requests together, and counters and
 * tokens are summed; throughput adds because the shards' stages overlap in time.
 */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = {
            "Merges the results of shards that ran side by side: stage i of every shard is",
            "added to stage i, histograms exactly, counters and tokens summed. Each argument is",
            "a results directory or a results.json file. Writes results.json, results.csv and",
            "report.html to --out. Exit codes: 0 done, 2 unusable input."})
public final class MergeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "DIR", description = "Shard results: directories or results.json files.")
    List<Path> inputs;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where the merged results go.")
    Path out;

    @Option(names = "--no-report", description = "Write no HTML report.")
    boolean noReport;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter stdout = spec.commandLine().getOut();
        ObjectMapper mapper = new ObjectMapper();
        ResultsJson json = new ResultsJson(mapper);
        List<RunResult> shards = new ArrayList<>();
        for (Path in : inputs) {
            Path file = Files.isDirectory(in) ? in.resolve("results.json") : in;
            try {
                shards.add(json.read(file));
            } catch (IOException | IllegalArgumentException e) {
                err.println("tokentap merge: " + file + ": " + e.getMessage());
                err.flush();
                return 2;
            }
        }
        RunResult merged;
        try {
            merged = RunResult.mergeShards(shards);
        } catch (IllegalArgumentException e) {
            err.println("tokentap merge: " + e.getMessage());
            err.flush();
            return 2;
        }
        try {
            Files.createDirectories(out);
            json.write(merged, out.resolve("results.json"));
            new ResultsCsv().write(merged, out.resolve("results.csv"));
        } catch (IOException e) {
            err.println("tokentap merge: cannot write " + out + ": " + e.getMessage());
            err.flush();
            return 2;
        }
        stdout.print(new ConsoleTable().render(merged));
        stdout.println("merged " + shards.size() + " shards: " + out.resolve("results.json") + ", "
                + out.resolve("results.csv"));
        if (!noReport) {
            Path html = out.resolve("report.html");
            try {
                ReportWriter.defaults().write(ResultFile.of(merged), html, OptionalDouble.empty());
                stdout.println("report: " + html);
            } catch (ResultFormatException | IOException e) {
                err.println("no report: " + e.getMessage());
            }
        }
        stdout.flush();
        err.flush();
        return 0;
    }
}
