package io.tokentap.loadgen.workload;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.commons.math3.random.RandomGenerator;
import org.apache.commons.math3.random.Well19937c;

/**
 * Agent pipelines: each user request is a chain of LLM calls (e.g. router → retrieval → generate → critic). Each node
 * has its own prompt and output distributions; a tool or retrieval node is simulated by a latency (with rare p99
 * outliers) before the next call; a node runs with a probability, and may be called a second time with another
 * probability, so some user requests take twice the calls. Calls are labelled with their node, so results come per
 * node and per chain (the chain's end-to-end time and total tokens). {@code only} runs one node alone.
 *
 * <p>Each call's prompt is fresh text of the node's length: passing context between calls is modelled by the node's
 * prompt distribution, not by the previous answer's text.
 */
public final class PipelineWorkload implements Workload {

    /**
     * One node.
     *
     * @param toolLatencyMillis    for a tool node: its latency in ms; {@code null} for an LLM node
     * @param outlierProbability   the chance a tool call takes {@code outlierLatency} instead
     * @param probability          the chance the node runs at all in a user request
     * @param extraCallProbability the chance it runs a second time
     */
    public record Node(String name, LengthDistribution promptTokens, LengthDistribution outputTokens,
                       LengthDistribution toolLatencyMillis, double outlierProbability, Duration outlierLatency,
                       double probability, double extraCallProbability) {
        public Node {
            Objects.requireNonNull(name, "name");
            if (toolLatencyMillis == null && (promptTokens == null || outputTokens == null)) {
                throw new IllegalArgumentException("prompt_tokens and output_tokens: missing (expected for an LLM node, "
                        + "or tool_latency for a tool node)");
            }
            probability("probability", probability);
            probability("extra_call_probability", extraCallProbability);
            probability("outlier_probability", outlierProbability);
            Objects.requireNonNull(outlierLatency, "outlierLatency");
        }

        private static void probability(String name, double p) {
            if (!(p >= 0 && p <= 1)) {
                throw new IllegalArgumentException(name + ": " + p + " (expected: 0..1)");
            }
        }

        public boolean isTool() {
            return toolLatencyMillis != null;
        }
    }

    private record Call(Node node, long delayBeforeNanos) {
    }

    private final List<Node> nodes;
    private final String model;
    private final TokenText text;
    private final ChatBodies bodies;
    private final RandomGenerator rng;

    /** @param only run only this node, or {@code null} for the whole chain */
    public PipelineWorkload(List<Node> nodes, String only, String model, TokenText text, ChatBodies bodies,
                            RandomGenerator rng) {
        List<Node> chosen = only == null ? List.copyOf(nodes)
                : nodes.stream().filter(n -> n.name().equals(only)).toList();
        if (chosen.isEmpty()) {
            throw new IllegalArgumentException("only: '" + only + "' (expected one of: "
                    + String.join(", ", nodes.stream().map(Node::name).toList()) + ")");
        }
        if (chosen.stream().allMatch(Node::isTool)) {
            throw new IllegalArgumentException("nodes: no LLM node to call");
        }
        this.nodes = chosen;
        this.model = model;
        this.text = text;
        this.bodies = bodies;
        this.rng = rng;
    }

    @Override
    public RequestSpec next() {
        List<Call> calls = new ArrayList<>();
        long pending = 0;
        for (Node n : nodes) {
            if (rng.nextDouble() >= n.probability()) {
                continue;
            }
            int times = rng.nextDouble() < n.extraCallProbability() ? 2 : 1;
            for (int i = 0; i < times; i++) {
                if (n.isTool()) {
                    pending += rng.nextDouble() < n.outlierProbability() ? n.outlierLatency().toNanos()
                            : n.toolLatencyMillis().sample(rng) * 1_000_000L;
                } else {
                    calls.add(new Call(n, pending));
                    pending = 0;
                }
            }
        }
        if (calls.isEmpty()) {
            // Every LLM node was skipped by chance: the user request still makes the first one.
            calls.add(new Call(nodes.stream().filter(n -> !n.isTool()).findFirst().orElseThrow(), 0));
        }
        Chain chain = new Chain(calls, new Well19937c(rng.nextLong()));
        return chain.call(0);
    }

    @Override
    public String describe() {
        return "pipeline " + String.join(" → ", nodes.stream().map(Node::name).toList());
    }

    /** One user request's calls; owns its random source, as later calls are built on the connection's thread. */
    private final class Chain implements RequestSpec.Session {
        private final List<Call> calls;
        private final RandomGenerator r;
        private int next = 1;
        private long think;

        Chain(List<Call> calls, RandomGenerator r) {
            this.calls = calls;
            this.r = r;
        }

        RequestSpec call(int i) {
            Node n = calls.get(i).node();
            int prompt = Math.max(1, n.promptTokens().sample(r));
            int output = n.outputTokens().sample(r);
            ObjectNode body = bodies.chat(model, output);
            ChatBodies.addMessage(body, "user", text.text(prompt, r.nextLong()));
            return new RequestSpec(ChatBodies.CHAT_ROUTE, body, prompt, output, null, n.name(),
                    i + 1 < calls.size() ? this : null);
        }

        @Override
        public RequestSpec nextTurn(RequestSpec previous, long outputTokens) {
            if (next >= calls.size()) {
                return null;
            }
            think = calls.get(next).delayBeforeNanos();
            return call(next++);
        }

        @Override
        public long thinkTimeNanos() {
            return think;
        }
    }
}
