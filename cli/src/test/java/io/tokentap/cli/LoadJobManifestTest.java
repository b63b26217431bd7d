package io.tokentap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.tokentap.testing.KubeManifests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The distributed replay in {@code docker/k8s-loadgen}: rendered by {@code kubectl kustomize}, parsed with the
 * Kubernetes API model (unknown fields fail), an Indexed Job whose shard count matches its completions, and
 * container arguments that {@code tokentap} parses.
 */
class LoadJobManifestTest {

    static final Path DIR = Path.of("").toAbsolutePath().getParent().resolve("docker/k8s-loadgen");
    static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES,
            false);

    List<Map<String, Object>> documents() throws Exception {
        String kubectl = KubeManifests.kubectl();
        if (kubectl == null) {
            // scripts/install-test-deps.sh installs kubectl; without it (and outside CI) read the files themselves.
            assertThat(System.getenv("CI")).as("kubectl is not installed; CI must render").isNotEqualToIgnoringCase("true");
            List<Map<String, Object>> docs = new ArrayList<>();
            for (String f : List.of("pvc.yaml", "replay-shards.yaml", "merge.yaml")) {
                docs.addAll(KubeManifests.documents(Files.readString(DIR.resolve(f))));
            }
            return docs;
        }
        return KubeManifests.render(kubectl, DIR);
    }

    @Test
    void theShardsAndTheMergeMatchTheCommandLine() throws Exception {
        List<Job> jobs = new ArrayList<>();
        int claims = 0;
        for (Map<String, Object> doc : documents()) {
            Class<?> type = switch ((String) doc.get("kind")) {
                case "Job" -> Job.class;
                case "PersistentVolumeClaim" -> PersistentVolumeClaim.class;
                default -> throw new AssertionError("unexpected kind " + doc.get("kind"));
            };
            Object parsed = JSON.convertValue(doc, type);
            List<String> unknown = new ArrayList<>();
            KubeManifests.unknownFields(parsed, doc.get("kind") + "/" + ((Map<?, ?>) doc.get("metadata")).get("name"),
                    unknown);
            assertThat(unknown).as("fields the Kubernetes API does not know").isEmpty();
            if (parsed instanceof Job j) {
                jobs.add(j);
            } else {
                claims++;
            }
        }
        assertThat(claims).isEqualTo(1);
        Job replay = jobs.stream().filter(j -> j.getMetadata().getName().equals("tokentap-replay")).findFirst()
                .orElseThrow();
        Job merge = jobs.stream().filter(j -> j.getMetadata().getName().equals("tokentap-merge")).findFirst()
                .orElseThrow();

        assertThat(replay.getSpec().getCompletionMode()).isEqualTo("Indexed");
        Container c = replay.getSpec().getTemplate().getSpec().getContainers().get(0);
        List<String> args = c.getArgs();
        String shard = args.get(args.indexOf("--shard") + 1);
        Matcher m = Pattern.compile("\\$\\(JOB_COMPLETION_INDEX\\)/(\\d+)").matcher(shard);
        assertThat(m.matches()).as(shard).isTrue();
        int n = Integer.parseInt(m.group(1));
        assertThat(replay.getSpec().getCompletions()).isEqualTo(n);
        assertThat(replay.getSpec().getParallelism()).isEqualTo(n);

        // Kubernetes expands $(VAR) from the container's environment; JOB_COMPLETION_INDEX is set for Indexed Jobs.
        String target = c.getEnv().stream().filter(e -> e.getName().equals("TARGET")).map(EnvVar::getValue)
                .findFirst().orElseThrow();
        for (int i = 0; i < n; i++) {
            final int index = i;
            List<String> expanded = args.stream().map(a -> a.replace("$(JOB_COMPLETION_INDEX)", Integer.toString(index))
                    .replace("$(TARGET)", target)).toList();
            CommandLine.ParseResult parsed = Main.commandLine().parseArgs(expanded.toArray(String[]::new));
            CommandLine.ParseResult sub = parsed.subcommand();
            assertThat(sub.commandSpec().name()).isEqualTo("replay");
            assertThat(sub.matchedOptionValue("--shard", "")).isEqualTo(i + "/" + n);
            assertThat(sub.matchedOptionValue("--out", Path.of("")).toString()).endsWith("shard-" + i);
        }

        // The merge waits for n results, then merges every shard directory.
        String script = String.join("\n", merge.getSpec().getTemplate().getSpec().getContainers().get(0).getCommand());
        assertThat(script).contains("-ge " + n + " ]");
        Matcher merged = Pattern.compile("tokentap\\.jar (merge [^\\n]+)").matcher(script);
        assertThat(merged.find()).as(script).isTrue();
        List<String> mergeArgs = new ArrayList<>(List.of(merged.group(1).trim().split("\\s+")));
        // The shell expands the glob; one directory per shard stands in for it.
        int glob = mergeArgs.indexOf("/data/results/shard-*");
        assertThat(glob).isPositive();
        mergeArgs.remove(glob);
        for (int i = n - 1; i >= 0; i--) {
            mergeArgs.add(glob, "/data/results/shard-" + i);
        }
        CommandLine.ParseResult parsedMerge = Main.commandLine().parseArgs(mergeArgs.toArray(String[]::new));
        assertThat(parsedMerge.subcommand().commandSpec().name()).isEqualTo("merge");
        assertThat(parsedMerge.subcommand().matchedPositional(0).<List<Path>>getValue()).hasSize(n);
        // Both pods mount the claim the kustomization defines.
        for (Job j : jobs) {
            assertThat(j.getSpec().getTemplate().getSpec().getVolumes().get(0).getPersistentVolumeClaim()
                    .getClaimName()).isEqualTo("tokentap-load");
        }
    }
}
