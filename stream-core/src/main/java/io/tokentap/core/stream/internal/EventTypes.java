package io.tokentap.core.stream.internal;

import java.nio.charset.StandardCharsets;

/**
 * A small fixed table of event type names (SSE {@code event:} values and JSON {@code "type"} values), matched
 * against raw bytes or parser characters without creating a String per event.
 */
final class EventTypes {

    /** No name was given. */
    static final int NONE = -1;
    /** A name that is not in the table. */
    static final int OTHER = -2;

    private final byte[][] bytes;
    private final char[][] chars;

    EventTypes(String... names) {
        bytes = new byte[names.length][];
        chars = new char[names.length][];
        for (int i = 0; i < names.length; i++) {
            bytes[i] = names[i].getBytes(StandardCharsets.US_ASCII);
            chars[i] = names[i].toCharArray();
        }
    }

    /** The index of the name in {@code b[off, off + len)}, or {@link #OTHER}. */
    int match(byte[] b, int off, int len) {
        outer:
        for (int i = 0; i < bytes.length; i++) {
            byte[] name = bytes[i];
            if (name.length != len) {
                continue;
            }
            for (int j = 0; j < len; j++) {
                if (name[j] != b[off + j]) {
                    continue outer;
                }
            }
            return i;
        }
        return OTHER;
    }

    /** The index of the name in {@code c[off, off + len)}, or {@link #OTHER}. */
    int match(char[] c, int off, int len) {
        outer:
        for (int i = 0; i < chars.length; i++) {
            char[] name = chars[i];
            if (name.length != len) {
                continue;
            }
            for (int j = 0; j < len; j++) {
                if (name[j] != c[off + j]) {
                    continue outer;
                }
            }
            return i;
        }
        return OTHER;
    }
}
