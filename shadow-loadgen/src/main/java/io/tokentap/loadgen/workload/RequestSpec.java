package io.tokentap.loadgen.workload;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * What one request sends: the route, the JSON body (an OpenAI chat/completions body; the executor turns streaming
 * and usage reporting on), the prompt length the workload intended, and an optional session that supplies the next
 * turn.
 *
 * @param promptTokens the intended prompt length in cl100k tokens, or -1 when not known
 * @param maxTokens    the output cap sent, or -1 when not set
 * @param tenant       a tenant hash from a capture, used to pick a fixed tenant key, or {@code null}
 * @param label        the workload class, e.g. {@code short-chat}; bounded by the workload's definition
 */
public record RequestSpec(String route, ObjectNode body, int promptTokens, int maxTokens, String tenant,
                          String label, Session session) {

    public RequestSpec {
        Objects.requireNonNull(route, "route");
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(label, "label");
    }

    /**
     * A multi-turn conversation. After a turn ends well, the executor asks for the next one and sends it after the
     * think time; the history grows by the answer and a new user message.
     */
    public interface Session {
        /** The next turn after a turn that produced {@code outputTokens}, or {@code null} when the session is over. */
        RequestSpec nextTurn(RequestSpec previous, long outputTokens);

        /** How long the user thinks before the next turn. */
        long thinkTimeNanos();
    }
}
