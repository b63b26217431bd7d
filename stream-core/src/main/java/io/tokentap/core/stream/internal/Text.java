package io.tokentap.core.stream.internal;

import java.nio.charset.StandardCharsets;

final class Text {

    private Text() {
    }

    /** Decodes at most {@code max} bytes of {@code b[0, len)} as UTF-8 (for error messages only). */
    static String utf8(byte[] b, int len, int max) {
        return new String(b, 0, Math.min(len, max), StandardCharsets.UTF_8).strip();
    }
}
