package io.tokentap.loadgen.workload;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Makes prompt text of an exact token length under {@code cl100k_base}, the tokenizer capture files count with.
 *
 * <p>The text is a sequence of common English words, each with its leading space. cl100k's pre-tokenizer splits
 * text before every space-led word, and each word in the list is checked at start-up to be a single token, so
 * {@code n} words are exactly {@code n} tokens. Other tokenizers (Llama's, Qwen's) count such text within a few per
 * cent of that, which is why the server's reported usage, not this count, goes into the results.
 *
 * <p>The same seed gives the same text, which is how fixed-size blocks with the same hash id become the same prompt
 * prefix. Thread-safe.
 */
public final class TokenText {

    private static final String WORDS = "the of and to in is that for it as was with be by on not he this are or his"
            + " from at which but have an they you were her she there been one all we their has would when if so no"
            + " will can more about what up said out into them some could time than other new only its also two may"
            + " first then do any like my now over such our man me even most made after many before must through back"
            + " years where much your way well down should because each just those people how too little state good"
            + " very make world still own see men work long get here between both life being under never day same"
            + " another know while last might us great old year off come since against go came right used take three"
            + " house power water light plan model table river city paper music story field market system order point"
            + " group number night report level office family school party service friend answer reason result";

    private final Encoding encoding;
    private final String[] words;

    public TokenText() {
        this.encoding = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);
        List<String> ok = new ArrayList<>();
        for (String w : WORDS.split(" ")) {
            String spaced = " " + w;
            if (encoding.countTokens(spaced) == 1) {
                ok.add(spaced);
            }
        }
        this.words = ok.toArray(String[]::new);
    }

    /** {@code tokens} tokens of text drawn from {@code seed}. */
    public String text(int tokens, long seed) {
        StringBuilder sb = new StringBuilder(tokens * 6);
        append(sb, tokens, seed);
        return sb.toString();
    }

    /** Appends {@code tokens} tokens of text drawn from {@code seed}. */
    public void append(StringBuilder sb, int tokens, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < tokens; i++) {
            sb.append(words[r.nextInt(words.length)]);
        }
    }

    /**
     * Appends tokens {@code from} (inclusive) to {@code to} (exclusive) of a token stream made of fixed-size blocks:
     * block {@code i} is {@code blockSize} tokens drawn from {@code blockSeeds[i]}, and tokens past the last block
     * are drawn from {@code tailSeed}. Two prompts whose blocks have the same seeds share the same prefix, like the
     * {@code hash_ids} of a Mooncake trace.
     */
    public void appendBlocks(StringBuilder sb, long[] blockSeeds, int blockSize, long tailSeed, int from, int to) {
        int covered = blockSeeds.length * blockSize;
        SplittableRandom r = null;
        int current = -1;
        for (int p = from; p < to; p++) {
            int block = p < covered ? p / blockSize : -2;
            if (block != current || r == null) {
                if (block >= 0) {
                    r = new SplittableRandom(blockSeeds[block]);
                    for (int skip = p % blockSize; skip > 0; skip--) {
                        r.nextInt(words.length);
                    }
                } else {
                    r = new SplittableRandom(tailSeed);
                    for (int skip = p - covered; skip > 0; skip--) {
                        r.nextInt(words.length);
                    }
                }
                current = block;
            }
            sb.append(words[r.nextInt(words.length)]);
        }
    }

    /** The number of cl100k_base tokens in {@code text}. */
    public int count(String text) {
        return encoding.countTokens(text);
    }
}
