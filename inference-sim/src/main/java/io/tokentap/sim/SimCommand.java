package io.tokentap.sim;

import io.tokentap.sim.http.SimServer;
import io.tokentap.sim.profile.Profile;
import io.tokentap.sim.profile.ProfileException;
import io.tokentap.sim.profile.ProfileLoader;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tokentap sim}: the simulated OpenAI-compatible inference server. */
@Command(
        name = "sim",
        mixinStandardHelpOptions = true,
        description = {
            "Runs a simulated OpenAI/Anthropic-compatible inference server with continuous batching and a KV-cache model.",
            "Endpoints: /v1/chat/completions, /v1/completions, /v1/messages, /v1/models, /health, /metrics (vLLM names),"
                    + " /dcgm/metrics, /ground-truth.",
            "Faults per request: header x-tokentap-fault: status=503;retry_after=2 | disconnect_after=N | stall_ms=X"
                    + ";stall_after=N | slow_first_token_ms=X | malformed=true."
        })
public final class SimCommand implements Callable<Integer> {

    @Option(names = "--profile", description = "Built-in profile: tiny, llama3-8b-a100, llama3-70b-2xh100 (default: ${DEFAULT-VALUE}).",
            defaultValue = "llama3-8b-a100")
    String profileName;

    @Option(names = "--profile-file", description = "A profile YAML file (overrides --profile).")
    Path profileFile;

    @Option(names = "--listen", description = "HOST:PORT to listen on (default: ${DEFAULT-VALUE}).", defaultValue = "127.0.0.1:8000")
    String listen;

    @Option(names = "--time-scale", description = "Runs the model F times faster than the real hardware (default: "
            + "${DEFAULT-VALUE}). Every latency is then F times shorter; /metrics shows F as tokentap_sim_time_scale so "
            + "that nobody takes scaled numbers for real ones.", defaultValue = "1.0")
    double timeScale;

    @Option(names = "--ground-truth", description = "Writes the send time of every token of every request to FILE "
            + "(JSON lines) and serves the recent ones at GET /ground-truth.")
    Path groundTruth;

    @Option(names = "--model-name", description = "Serve the model under this name instead of the profile's.")
    String modelName;

    @Option(names = "--seed", description = "Random seed (default: ${DEFAULT-VALUE}).", defaultValue = "1")
    long seed;

    @Option(names = "--io-threads", description = "Event loop threads (default: ${DEFAULT-VALUE}).", defaultValue = "1")
    int ioThreads;

    @Override
    public Integer call() throws Exception {
        Profile profile;
        try {
            ProfileLoader loader = new ProfileLoader();
            profile = profileFile != null ? loader.loadFile(profileFile) : loader.load(profileName);
            if (modelName != null) {
                profile = profile.withModelName(modelName);
            }
        } catch (ProfileException e) {
            System.err.println("tokentap sim: " + e.getMessage());
            return 2;
        }
        int colon = listen.lastIndexOf(':');
        if (colon < 0) {
            System.err.println("tokentap sim: --listen " + listen + " (expected: HOST:PORT)");
            return 2;
        }
        String host = listen.substring(0, colon);
        int port = Integer.parseInt(listen.substring(colon + 1));
        SimServer server = SimServer.start(new SimServer.Options(profile, host, port, timeScale, groundTruth,
                groundTruth != null, seed, ioThreads));
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "sim-shutdown"));
        System.err.printf("tokentap sim: %s (%s on %d× %s, %d KV blocks of %d tokens) on http://%s:%d, time scale %s%n",
                profile.name(), profile.model().name(), profile.gpu().count(), profile.gpu().name(),
                profile.numGpuBlocks(), profile.engine().blockSize(), host, server.port(), timeScale);
        server.awaitClose();
        return 0;
    }
}
