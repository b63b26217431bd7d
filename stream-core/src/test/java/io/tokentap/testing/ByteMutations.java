package io.tokentap.testing;

import java.util.Arrays;

/** The byte edits the mutation fuzzers share; each returns a new array and leaves its input as it is. */
public final class ByteMutations {

    private ByteMutations() {
    }

    /** {@code ins} put in at {@code at}. */
    public static byte[] splice(byte[] b, int at, byte[] ins) {
        byte[] o = new byte[b.length + ins.length];
        System.arraycopy(b, 0, o, 0, at);
        System.arraycopy(ins, 0, o, at, ins.length);
        System.arraycopy(b, at, o, at + ins.length, b.length - at);
        return o;
    }

    /** At most {@code n} bytes taken out from {@code at}. */
    public static byte[] deleteRun(byte[] b, int at, int n) {
        int k = Math.min(b.length - at, n);
        byte[] o = new byte[b.length - k];
        System.arraycopy(b, 0, o, 0, at);
        System.arraycopy(b, at + k, o, at, b.length - at - k);
        return o;
    }

    /** At most {@code n} bytes from {@code at} repeated in place. */
    public static byte[] duplicateRun(byte[] b, int at, int n) {
        return splice(b, at, Arrays.copyOfRange(b, at, at + Math.min(b.length - at, n)));
    }

    /** The first {@code at} bytes. */
    public static byte[] truncate(byte[] b, int at) {
        return Arrays.copyOf(b, at);
    }
}
