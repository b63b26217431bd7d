package io.tokentap.proxy.protect.tenant;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.concurrent.FastThreadLocal;
import io.tokentap.proxy.protect.ProtectionConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Tells which tenant a request belongs to, as a short opaque id: the first 8 bytes of the SHA-256 of the tenant
 * value, in hex (16 characters). The raw value, usually an API key, is hashed straight from the header and never
 * kept, logged or exported; only the id is. Requests without a tenant value share the id {@link #ANONYMOUS}.
 *
 * <p>By default the value is the API key: {@code Authorization: Bearer <key>} (the scheme is dropped, so the same
 * key gives the same tenant whatever header carries it), else {@code x-api-key} (Anthropic), else
 * {@code api-key} (Azure OpenAI). With {@link ProtectionConfig.Tenants#header()} set, that header's value is used.
 *
 * <p>Thread-safe and allocation-light: one digest per thread, no locks.
 */
public final class TenantResolver {

    /** The tenant of requests that carry no tenant value. */
    public static final String ANONYMOUS = "anonymous";

    private static final int ID_BYTES = 8;
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private static final String X_API_KEY = "x-api-key";
    private static final String API_KEY = "api-key";

    private static final FastThreadLocal<MessageDigest> SHA256 = new FastThreadLocal<>() {
        @Override
        protected MessageDigest initialValue() {
            try {
                return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256 is required of every Java platform", e);
            }
        }
    };

    private final String header;

    public TenantResolver(ProtectionConfig.Tenants config) {
        this.header = config.header();
    }

    /** A request's headers as the resolver reads them: the first value of a header, or null. */
    @FunctionalInterface
    public interface Headers {
        String get(CharSequence name);
    }

    /** The tenant id of a request with these headers. */
    public String resolve(HttpHeaders headers) {
        return resolve((Headers) headers::get);
    }

    /** The tenant id of a request with these headers. */
    public String resolve(Headers headers) {
        String value;
        if (header != null) {
            value = headers.get(header);
        } else {
            value = bearer(headers.get(HttpHeaderNames.AUTHORIZATION));
            if (isBlank(value)) {
                value = headers.get(X_API_KEY);
            }
            if (isBlank(value)) {
                value = headers.get(API_KEY);
            }
        }
        if (isBlank(value)) {
            return ANONYMOUS;
        }
        return hash(value.strip());
    }

    /** The tenant id of a raw tenant value (exposed for tests and for tools that must match the proxy's ids). */
    public static String hash(String raw) {
        MessageDigest digest = SHA256.get();
        byte[] sum = digest.digest(raw.getBytes(StandardCharsets.UTF_8));
        char[] out = new char[ID_BYTES * 2];
        for (int i = 0; i < ID_BYTES; i++) {
            out[2 * i] = HEX[(sum[i] >> 4) & 0xf];
            out[2 * i + 1] = HEX[sum[i] & 0xf];
        }
        return new String(out);
    }

    private static String bearer(String authorization) {
        if (authorization == null) {
            return null;
        }
        String v = authorization.strip();
        if (v.equalsIgnoreCase("Bearer")) {
            return null;
        }
        int space = v.indexOf(' ');
        if (space > 0 && v.regionMatches(true, 0, "Bearer", 0, space) && space == 6) {
            return v.substring(space + 1);
        }
        // Another scheme (Basic, a bare key): the whole value identifies the caller.
        return v;
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }
}
