package io.tokentap.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class UsageChunkFilterTest {

    private static final String CHUNK = "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi \\\"x\\\"\"}}]";
    private static final String WITH_USAGE = CHUNK + ",\"usage\":null}\r\n\r\n"
            + "data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}\r\n\r\n"
            + ": a comment\n\ndata: [DONE]\n\n";
    private static final String WITHOUT = CHUNK + "}\r\n\r\n: a comment\n\ndata: [DONE]\n\n";

    /** Feeds {@code text} split at random points; returns what the filter lets through. */
    private static String run(String text, long seed) {
        Random r = new Random(seed);
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        UsageChunkFilter f = new UsageChunkFilter(ByteBufAllocator.DEFAULT);
        StringBuilder out = new StringBuilder();
        int at = 0;
        while (at < bytes.length) {
            int n = Math.min(bytes.length - at, 1 + r.nextInt(40));
            boolean last = at + n == bytes.length;
            ByteBuf b = Unpooled.copiedBuffer(bytes, at, n);
            HttpContent in = last ? new DefaultLastHttpContent(b) : new DefaultHttpContent(b);
            HttpContent o = f.filter(in, last);
            assertThat(o instanceof LastHttpContent).isEqualTo(last);
            out.append(o.content().toString(StandardCharsets.UTF_8));
            o.release();
            assertThat(b.refCnt()).as("the input is released, or passed on as the output").isZero();
            at += n;
        }
        f.release();
        return out.toString();
    }

    @Test
    void theUsageChunkAndTheNullUsageFieldsGoWhereverTheReadsSplit() {
        for (long seed = 0; seed < 300; seed++) {
            assertThat(run(WITH_USAGE, seed)).as("seed %d", seed).isEqualTo(WITHOUT);
        }
    }

    /**
     * The filters of one event loop share the array each line is copied into: streams filtered in turn, their reads
     * interleaved, one with lines long enough to grow the array, must each come out as they do alone.
     */
    @Test
    void streamsFilteredInTurnOnOneThreadDoNotMixTheirLines() {
        String longChunk = "data: {\"id\":\"" + "L".repeat(3000) + "\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"y\"}}]";
        String longWith = longChunk + ",\"usage\":null}\n\n" + WITH_USAGE;
        String longWithout = longChunk + "}\n\n" + WITHOUT;
        for (long seed = 0; seed < 100; seed++) {
            Random r = new Random(seed);
            String[] in = {WITH_USAGE + WITH_USAGE, longWith + longWith};
            UsageChunkFilter[] filters = {new UsageChunkFilter(ByteBufAllocator.DEFAULT),
                new UsageChunkFilter(ByteBufAllocator.DEFAULT)};
            StringBuilder[] out = {new StringBuilder(), new StringBuilder()};
            int[] at = {0, 0};
            while (at[0] < in[0].length() || at[1] < in[1].length()) {
                int k = at[0] >= in[0].length() ? 1 : at[1] >= in[1].length() ? 0 : r.nextInt(2);
                int n = Math.min(in[k].length() - at[k], 1 + r.nextInt(700));
                boolean last = at[k] + n == in[k].length();
                ByteBuf b = Unpooled.copiedBuffer(in[k].substring(at[k], at[k] + n), StandardCharsets.UTF_8);
                HttpContent o = filters[k].filter(last ? new DefaultLastHttpContent(b) : new DefaultHttpContent(b), last);
                out[k].append(o.content().toString(StandardCharsets.UTF_8));
                o.release();
                at[k] += n;
            }
            assertThat(out[0].toString()).as("seed %d", seed).isEqualTo(WITHOUT + WITHOUT);
            assertThat(out[1].toString()).as("seed %d", seed).isEqualTo(longWithout + longWithout);
        }
    }

    @Test
    void aStreamWithoutUsagePassesUnchanged() {
        for (long seed = 0; seed < 50; seed++) {
            assertThat(run(WITHOUT, seed)).as("seed %d", seed).isEqualTo(WITHOUT);
        }
    }

    @Test
    void aReadOfWholeLinesWithNothingToTakeOutIsPassedOnWithoutACopy() {
        UsageChunkFilter f = new UsageChunkFilter(ByteBufAllocator.DEFAULT);
        HttpContent in = new DefaultHttpContent(Unpooled.copiedBuffer(CHUNK + "}\n\n", StandardCharsets.UTF_8));
        assertThat(f.filter(in, false)).isSameAs(in);
        in.release();
        // A read with a usage field to cut is copied, and the input released.
        HttpContent withNull = new DefaultHttpContent(
                Unpooled.copiedBuffer(CHUNK + ",\"usage\":null}\n\n", StandardCharsets.UTF_8));
        HttpContent out = f.filter(withNull, false);
        assertThat(out).isNotSameAs(withNull);
        assertThat(withNull.refCnt()).isZero();
        assertThat(out.content().toString(StandardCharsets.UTF_8)).isEqualTo(CHUNK + "}\n\n");
        out.release();
        f.release();
    }

    @Test
    void theBlankLineAfterTheUsageChunkGoesEvenWhenItComesInTheNextRead() {
        UsageChunkFilter f = new UsageChunkFilter(ByteBufAllocator.DEFAULT);
        HttpContent usage = new DefaultHttpContent(Unpooled.copiedBuffer(
                "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3}}\n", StandardCharsets.UTF_8));
        HttpContent first = f.filter(usage, false);
        assertThat(first.content().readableBytes()).isZero();
        first.release();
        HttpContent rest = f.filter(new DefaultLastHttpContent(
                Unpooled.copiedBuffer("\ndata: [DONE]\n\n", StandardCharsets.UTF_8)), true);
        assertThat(rest.content().toString(StandardCharsets.UTF_8)).isEqualTo("data: [DONE]\n\n");
        rest.release();
        f.release();
    }

    @Test
    void aLineOverTheLimitTurnsTheFilterOffAndPassesEverything() {
        String huge = "data: " + "x".repeat(UsageChunkFilter.MAX_LINE_BYTES + 10) + "\n\n";
        String text = huge + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1}}\n\n";
        assertThat(run(text, 5)).isEqualTo(text);
    }

    @Test
    void anUnterminatedLastLineGoesOutAsItCame() {
        assertThat(run("data: [DONE]\n\ndata: {\"choices\":[]", 2)).isEqualTo("data: [DONE]\n\ndata: {\"choices\":[]");
    }

    @Test
    void theSkipSearchFindsWhatALinearSearchFinds() {
        byte[] needle = "\"usage\":".getBytes(StandardCharsets.US_ASCII);
        int[] skip = UsageChunkFilter.skipTable(needle);
        byte[] alphabet = "\"usage:x".getBytes(StandardCharsets.US_ASCII); // near misses are common
        Random r = new Random(42);
        int found = 0;
        for (int run = 0; run < 200_000; run++) {
            byte[] a = new byte[r.nextInt(40)];
            for (int i = 0; i < a.length; i++) {
                a[i] = alphabet[r.nextInt(alphabet.length)];
            }
            if (a.length >= needle.length && r.nextInt(4) == 0) {
                System.arraycopy(needle, 0, a, r.nextInt(a.length - needle.length + 1), needle.length);
            }
            int len = a.length == 0 ? 0 : r.nextInt(a.length + 1);
            int expected = -1;
            for (int at = 0; at + needle.length <= len && expected < 0; at++) {
                if (java.util.Arrays.equals(a, at, at + needle.length, needle, 0, needle.length)) {
                    expected = at;
                }
            }
            assertThat(UsageChunkFilter.skipSearch(a, len, needle, skip)).as(new String(a, 0, len,
                    StandardCharsets.US_ASCII)).isEqualTo(expected);
            found += expected >= 0 ? 1 : 0;
        }
        assertThat(found).isGreaterThan(10_000);
    }
}
