package io.tokentap.core.stream;

/**
 * Token counts as reported by the server. A field the server did not report is {@link #UNKNOWN}.
 *
 * <p>Anthropic reports usage cumulatively (the last {@code message_delta} wins); OpenAI reports it once, in the
 * last chunk. Decoders emit what the wire says; {@link #merge(Usage)} lets a consumer keep the latest known value
 * of each field.
 */
public record Usage(long inputTokens, long outputTokens, long cachedTokens, long reasoningTokens) {

    public static final long UNKNOWN = -1;

    public static final Usage NONE = new Usage(UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN);

    public Usage {
        check("inputTokens", inputTokens);
        check("outputTokens", outputTokens);
        check("cachedTokens", cachedTokens);
        check("reasoningTokens", reasoningTokens);
    }

    private static void check(String name, long v) {
        if (v < UNKNOWN) {
            throw new IllegalArgumentException(name + ": " + v + " (expected: >= 0, or -1 for unknown)");
        }
    }

    /** Returns a usage where each field known in {@code newer} replaces the one in this. */
    public Usage merge(Usage newer) {
        return new Usage(
                newer.inputTokens != UNKNOWN ? newer.inputTokens : inputTokens,
                newer.outputTokens != UNKNOWN ? newer.outputTokens : outputTokens,
                newer.cachedTokens != UNKNOWN ? newer.cachedTokens : cachedTokens,
                newer.reasoningTokens != UNKNOWN ? newer.reasoningTokens : reasoningTokens);
    }

    public boolean hasOutputTokens() {
        return outputTokens != UNKNOWN;
    }
}
