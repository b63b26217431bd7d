package io.tokentap.proxy.protect.reject;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokentap.proxy.protect.RejectReason;
import io.tokentap.proxy.protect.Rejection;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class AsciiFieldsTest {

    @Test
    void numbersAreDecimal() {
        for (long v : new long[] {0, 7, 999, 1000, 59_999, 1_000_000, Long.MAX_VALUE, -1, Long.MIN_VALUE}) {
            assertThat(AsciiFields.number(v).toString()).isEqualTo(Long.toString(v));
        }
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < 10_000; i++) {
            long v = r.nextLong(0, 10_000_000_000L);
            assertThat(AsciiFields.number(v).toString()).isEqualTo(Long.toString(v));
        }
    }

    /** The Go-style durations against the straightforward writing of them that the byte version replaced. */
    @Test
    void durationsMatchTheReference() {
        SplittableRandom r = new SplittableRandom(2);
        for (int i = 0; i < 20_000; i++) {
            long nanos = i < 5_000 ? i * 1_000_001L : r.nextLong(-1_000, 30L * 3_600_000_000_000L);
            assertThat(AsciiFields.goDuration(nanos).toString()).as("%d ns", nanos).isEqualTo(reference(nanos));
        }
    }

    @Test
    void errorBodiesAreTheGeneralEncodersBytes() {
        Rejection[] all = {
            Rejection.rateLimited(RejectReason.RATE, "Rate limit reached for this API key on requests per min (RPM):"
                    + " Limit 1, Used 1, Requested 1. Please try again in 59000ms.", 59_000, null),
            Rejection.shed(1000), Rejection.proxyFull(16, 1000), Rejection.circuitOpen(5000),
            new Rejection(RejectReason.SHED, 503, "plain", "server_error", null, 0, null),
        };
        for (Rejection rej : all) {
            byte[] fast = AsciiFields.errorBody(rej.message(), rej.type(), rej.code());
            assertThat(new String(fast, StandardCharsets.US_ASCII)).isEqualTo(RejectionResponses.body(rej));
        }
    }

    @Test
    void stringsThatNeedEscapingOrAreNotAsciiTakeTheGeneralEncoder() {
        assertThat(AsciiFields.errorBody("a \"quote\"", "t", null)).isNull();
        assertThat(AsciiFields.errorBody("a\\b", "t", null)).isNull();
        assertThat(AsciiFields.errorBody("line\n", "t", null)).isNull();
        assertThat(AsciiFields.errorBody("caf\u00e9", "t", null)).isNull();
        assertThat(AsciiFields.errorBody("m", "t", "c\u0001")).isNull();
    }

    private static String reference(long nanos) {
        long ms = (Math.max(0, nanos) + 999_999) / 1_000_000;
        if (ms == 0) {
            return "0s";
        }
        if (ms < 1000) {
            return ms + "ms";
        }
        StringBuilder b = new StringBuilder();
        long hours = ms / 3_600_000;
        long minutes = ms / 60_000 % 60;
        long rest = ms % 60_000;
        if (hours > 0) {
            b.append(hours).append('h');
        }
        if (hours > 0 || minutes > 0) {
            b.append(minutes).append('m');
        }
        b.append(rest / 1000);
        long frac = rest % 1000;
        if (frac != 0) {
            String f = Long.toString(1000 + frac).substring(1);
            int end = f.length();
            while (f.charAt(end - 1) == '0') {
                end--;
            }
            b.append('.').append(f, 0, end);
        }
        return b.append('s').toString();
    }
}
