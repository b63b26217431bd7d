package io.tokentap.loadgen.workload;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.apache.commons.math3.random.RandomGenerator;
import org.apache.commons.math3.random.Well19937c;

/**
 * A synthetic corpus: weighted classes of prompt-length and output-length distributions (e.g. 80% short chat, 20%
 * long documents), optionally a shared system prefix, and optionally multi-turn sessions whose history grows turn by
 * turn with exponential think time. Never runs out. Drawn from a seeded random source, so a seed gives the same
 * requests every run.
 */
public final class SyntheticWorkload implements Workload {

    /** One class of requests. */
    public record RequestClass(String name, double weight, LengthDistribution promptTokens,
                               LengthDistribution outputTokens) {
        public RequestClass {
            Objects.requireNonNull(name, "name");
            if (!(weight > 0)) {
                throw new IllegalArgumentException("weight: " + weight + " (expected: > 0)");
            }
        }
    }

    /**
     * Multi-turn sessions.
     *
     * @param turns          turns per session (at least 1)
     * @param thinkTimeMean  the mean of the exponential think time between turns
     * @param followUpTokens the length of each later user message
     */
    public record Sessions(LengthDistribution turns, Duration thinkTimeMean, LengthDistribution followUpTokens) {
        public Sessions {
            if (thinkTimeMean == null || thinkTimeMean.isNegative()) {
                throw new IllegalArgumentException("think_time: " + thinkTimeMean + " (expected: >= 0)");
            }
        }
    }

    private final List<RequestClass> classes;
    private final double totalWeight;
    private final Sessions sessions;
    private final String model;
    private final int sharedPrefixTokens;
    private final TokenText text;
    private final ChatBodies bodies;
    private final RandomGenerator rng;

    public SyntheticWorkload(List<RequestClass> classes, Sessions sessions, String model, int sharedPrefixTokens,
                             TokenText text, ChatBodies bodies, RandomGenerator rng) {
        this.classes = List.copyOf(classes);
        if (this.classes.isEmpty()) {
            throw new IllegalArgumentException("classes: empty (expected: at least one)");
        }
        if (sharedPrefixTokens < 0) {
            throw new IllegalArgumentException("shared_prefix_tokens: " + sharedPrefixTokens + " (expected: >= 0)");
        }
        this.totalWeight = this.classes.stream().mapToDouble(RequestClass::weight).sum();
        this.sessions = sessions;
        this.model = model;
        this.sharedPrefixTokens = sharedPrefixTokens;
        this.text = text;
        this.bodies = bodies;
        this.rng = rng;
    }

    @Override
    public RequestSpec next() {
        RequestClass c = pick();
        int prompt = c.promptTokens().sample(rng);
        int output = c.outputTokens().sample(rng);
        ObjectNode body = bodies.chat(model, output);
        if (sharedPrefixTokens > 0) {
            // The same seed for every request: one system prompt that a prefix cache can share.
            ChatBodies.addMessage(body, "system", text.text(sharedPrefixTokens, 0x5157_4e50L));
        }
        ChatBodies.addMessage(body, "user", text.text(Math.max(1, prompt), rng.nextLong()));
        Session s = null;
        if (sessions != null) {
            int turns = Math.max(1, sessions.turns().sample(rng));
            if (turns > 1) {
                s = new Session(c, turns - 1, new Well19937c(rng.nextLong()));
            }
        }
        return new RequestSpec(ChatBodies.CHAT_ROUTE, body, sharedPrefixTokens + Math.max(1, prompt), output, null,
                c.name(), s);
    }

    private RequestClass pick() {
        double x = rng.nextDouble() * totalWeight;
        for (RequestClass c : classes) {
            x -= c.weight();
            if (x < 0) {
                return c;
            }
        }
        return classes.get(classes.size() - 1);
    }

    @Override
    public String describe() {
        StringBuilder sb = new StringBuilder("synthetic");
        for (RequestClass c : classes) {
            sb.append(String.format(java.util.Locale.ROOT, " %s %.0f%% (prompt~%.0f, output~%.0f)", c.name(),
                    100 * c.weight() / totalWeight, c.promptTokens().mean(), c.outputTokens().mean()));
        }
        if (sessions != null) {
            sb.append(", sessions of ~").append(String.format(java.util.Locale.ROOT, "%.1f", sessions.turns().mean()))
                    .append(" turns");
        }
        return sb.toString();
    }

    /** The rest of one conversation; owns its random source, as turns run on the connection's thread. */
    private final class Session implements RequestSpec.Session {
        private final RequestClass cls;
        private final RandomGenerator r;
        private int remaining;

        Session(RequestClass cls, int remaining, RandomGenerator r) {
            this.cls = cls;
            this.remaining = remaining;
            this.r = r;
        }

        @Override
        public RequestSpec nextTurn(RequestSpec previous, long outputTokens) {
            if (remaining <= 0) {
                return null;
            }
            remaining--;
            ObjectNode body = previous.body().deepCopy();
            int answer = (int) Math.max(1, outputTokens);
            int followUp = Math.max(1, sessions.followUpTokens().sample(r));
            int output = cls.outputTokens().sample(r);
            // The answer's text is not kept while streaming; a same-length stand-in grows the history equally.
            ChatBodies.addMessage(body, "assistant", text.text(answer, r.nextLong()));
            ChatBodies.addMessage(body, "user", text.text(followUp, r.nextLong()));
            body.put("max_tokens", output);
            int prompt = previous.promptTokens() < 0 ? -1 : previous.promptTokens() + answer + followUp;
            return new RequestSpec(previous.route(), body, prompt, output, previous.tenant(), previous.label(),
                    remaining > 0 ? this : null);
        }

        @Override
        public long thinkTimeNanos() {
            double mean = sessions.thinkTimeMean().toNanos();
            return mean == 0 ? 0 : Math.round(-mean * Math.log(1 - r.nextDouble()));
        }
    }
}
