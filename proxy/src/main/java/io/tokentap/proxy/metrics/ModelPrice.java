package io.tokentap.proxy.metrics;

/**
 * A model's price in dollars per million tokens.
 *
 * @param inputPerMillion       price of an input (prompt) token
 * @param outputPerMillion      price of an output token, reasoning tokens included
 * @param cachedInputPerMillion price of an input token served from the prompt cache
 */
public record ModelPrice(double inputPerMillion, double outputPerMillion, double cachedInputPerMillion) {

    public ModelPrice {
        check("inputPerMillion", inputPerMillion);
        check("outputPerMillion", outputPerMillion);
        check("cachedInputPerMillion", cachedInputPerMillion);
    }

    /** A price where cached input tokens cost as much as the others. */
    public ModelPrice(double inputPerMillion, double outputPerMillion) {
        this(inputPerMillion, outputPerMillion, inputPerMillion);
    }

    private static void check(String name, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(name + ": " + v + " (expected: a finite price >= 0)");
        }
    }

    /**
     * The cost of one request in dollars. Unknown counts (negative) cost nothing; cached tokens are part of the
     * input tokens and are charged at the cached price instead of the input price.
     */
    public double cost(long inputTokens, long cachedTokens, long outputTokens) {
        long in = Math.max(0, inputTokens);
        long cached = Math.min(in, Math.max(0, cachedTokens));
        long out = Math.max(0, outputTokens);
        return ((in - cached) * inputPerMillion + cached * cachedInputPerMillion + out * outputPerMillion) / 1e6;
    }
}
