package io.tokentap.sim.http;

/**
 * Text for the simulated tokens (one common English word per token, so streams look like prose), and the prompt
 * token estimate.
 *
 * <p>Prompt tokens are approximated, not tokenised: every run of letters or digits counts one token per started
 * 4 characters, every other visible character one token, whitespace nothing. On English prose this lands within
 * about ±20 % of cl100k_base; on the simulator's own words (and prompts built from them) it is exact, one per word.
 * It costs one pass over the characters, which keeps the event loop free.
 */
final class TextSource {
    private static final String[] WORDS = {"the", "model", "token", "cache", "of", "and", "to", "a", "in", "is",
        "that", "for", "it", "as", "with", "on", "batch", "be", "at", "by", "this", "from", "or", "an", "which",
        "we", "can", "time", "each", "more", "when", "will", "first", "latency", "stream", "request", "server",
        "memory", "block", "queue", "load", "rate", "point", "break", "curve", "more", "than", "one", "into",
        "value", "so", "then", "it", "were", "how", "long", "under", "over", "before", "after", "GPU", "prefill",
        "decode", "step"};

    private TextSource() {}

    /** The text of token {@code index} of the request with the given seed: a word with its leading space. */
    static String token(long seed, int index) {
        long h = (seed ^ (index * 0x9E3779B97F4A7C15L)) * 0xBF58476D1CE4E5B9L;
        h ^= h >>> 31;
        String w = WORDS[(int) Long.remainderUnsigned(h, WORDS.length)];
        return index == 0 ? capitalise(w) : " " + w;
    }

    private static String capitalise(String w) {
        return Character.toUpperCase(w.charAt(0)) + w.substring(1);
    }

    /** Estimated tokens of a text (see the class comment). */
    static int approxTokens(CharSequence s) {
        int tokens = 0;
        int run = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isLetterOrDigit(c)) {
                run++;
                continue;
            }
            tokens += (run + 3) / 4;
            run = 0;
            if (!Character.isWhitespace(c)) {
                tokens++;
            }
        }
        return tokens + (run + 3) / 4;
    }
}
