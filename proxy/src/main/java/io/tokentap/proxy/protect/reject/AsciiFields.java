package io.tokentap.proxy.protect.reject;

import io.netty.util.AsciiString;

/**
 * Header values and JSON written straight to bytes for the rejection path: a storm of rejected requests pays for
 * every {@code String} built, converted to bytes and then walked a character at a time by the HTTP encoder. An
 * {@link AsciiString} value is copied by the encoder in one go, and one that wraps its own array costs no copy to
 * make. Stateless.
 */
final class AsciiFields {

    /** 0 to 999 pre-made: the remaining counts, most limits and the retry-after seconds of a storm. */
    private static final AsciiString[] SMALL = new AsciiString[1000];

    static {
        for (int i = 0; i < SMALL.length; i++) {
            SMALL[i] = AsciiString.cached(Integer.toString(i));
        }
    }

    private AsciiFields() {
    }

    /** {@code v} in decimal. */
    static AsciiString number(long v) {
        if (v >= 0 && v < SMALL.length) {
            return SMALL[(int) v];
        }
        if (v < 0) {
            return new AsciiString(Long.toString(v));
        }
        byte[] b = new byte[20];
        int end = writeDigits(b, b.length, v);
        return new AsciiString(b, end, b.length - end, false);
    }

    /**
     * A duration as OpenAI's reset headers write it (Go's {@code time.Duration} style): {@code 0s}, {@code 20ms},
     * {@code 1s}, {@code 1.5s}, {@code 6m0s}, {@code 1h0m0s}; rounded up to the millisecond.
     */
    static AsciiString goDuration(long nanos) {
        long ms = (Math.max(0, nanos) + 999_999) / 1_000_000;
        byte[] b = new byte[40];
        int n;
        if (ms == 0) {
            b[0] = '0';
            b[1] = 's';
            n = 2;
        } else if (ms < 1000) {
            n = append(b, 0, ms);
            b[n++] = 'm';
            b[n++] = 's';
        } else {
            long hours = ms / 3_600_000;
            long minutes = ms / 60_000 % 60;
            long rest = ms % 60_000;
            n = 0;
            if (hours > 0) {
                n = append(b, n, hours);
                b[n++] = 'h';
            }
            if (hours > 0 || minutes > 0) {
                n = append(b, n, minutes);
                b[n++] = 'm';
            }
            n = append(b, n, rest / 1000);
            long frac = rest % 1000;
            if (frac != 0) {
                b[n++] = '.';
                b[n++] = (byte) ('0' + frac / 100);
                if (frac % 100 != 0) {
                    b[n++] = (byte) ('0' + frac / 10 % 10);
                    if (frac % 10 != 0) {
                        b[n++] = (byte) ('0' + frac % 10);
                    }
                }
            }
            b[n++] = 's';
        }
        return new AsciiString(b, 0, n, false);
    }

    /**
     * OpenAI's error body, {@code {"error":{"message":…,"type":…,"param":null,"code":…}}}, as bytes; null when a
     * string holds a character this fast path does not write (outside printable ASCII, a quote or a backslash), for
     * the caller to fall back to the general encoder.
     */
    static byte[] errorBody(String message, String type, String code) {
        int len = PREFIX.length + message.length() + TYPE.length + type.length() + PARAM_CODE.length
                + (code == null ? 4 : code.length() + 2) + 2;
        byte[] b = new byte[len];
        int n = put(b, 0, PREFIX);
        // One pass copies and checks: a character outside printable ASCII, or one JSON would escape, stops it.
        n = putPlain(b, n, message);
        n = n < 0 ? n : put(b, n, TYPE);
        n = n < 0 ? n : putPlain(b, n, type);
        n = n < 0 ? n : put(b, n, PARAM_CODE);
        if (n < 0) {
            return null;
        }
        if (code == null) {
            b[n++] = 'n';
            b[n++] = 'u';
            b[n++] = 'l';
            b[n++] = 'l';
        } else {
            b[n++] = '"';
            n = putPlain(b, n, code);
            if (n < 0) {
                return null;
            }
            b[n++] = '"';
        }
        b[n++] = '}';
        b[n++] = '}';
        assert n == len;
        return b;
    }

    private static final byte[] PREFIX = ascii("{\"error\":{\"message\":\"");
    private static final byte[] TYPE = ascii("\",\"type\":\"");
    private static final byte[] PARAM_CODE = ascii("\",\"param\":null,\"code\":");

    private static byte[] ascii(String s) {
        byte[] b = new byte[s.length()];
        putPlain(b, 0, s);
        return b;
    }

    /** Copies {@code s} if every character is printable ASCII and no quote or backslash; else returns -1. */
    private static int putPlain(byte[] b, int at, String s) {
        int bad = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            bad |= (c < 0x20 || c > 0x7e || c == '"' || c == '\\') ? 1 : 0;
            b[at + i] = (byte) c;
        }
        return bad == 0 ? at + s.length() : -1;
    }

    private static int put(byte[] b, int at, byte[] s) {
        System.arraycopy(s, 0, b, at, s.length);
        return at + s.length;
    }

    /** Writes non-negative {@code v} at {@code at}; returns the end. */
    private static int append(byte[] b, int at, long v) {
        int digits = 1;
        for (long x = v / 10; x != 0; x /= 10) {
            digits++;
        }
        writeDigits(b, at + digits, v);
        return at + digits;
    }

    /** Writes non-negative {@code v} so that it ends before {@code end}; returns where it starts. */
    private static int writeDigits(byte[] b, int end, long v) {
        int i = end;
        do {
            b[--i] = (byte) ('0' + v % 10);
            v /= 10;
        } while (v != 0);
        return i;
    }
}
