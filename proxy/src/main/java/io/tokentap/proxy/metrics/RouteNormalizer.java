package io.tokentap.proxy.metrics;

/**
 * Maps a request path to a bounded {@code route} label: the known inference endpoints by name, anything else
 * {@value #OTHER}. The query string and a trailing slash are ignored; path parameters (TGI's and Triton's model
 * names inside the path) do not become labels.
 */
public final class RouteNormalizer {

    public static final String OTHER = "other";

    private RouteNormalizer() { }

    public static String normalize(String uri) {
        if (uri == null || uri.isEmpty()) {
            return OTHER;
        }
        int q = uri.indexOf('?');
        String p = q >= 0 ? uri.substring(0, q) : uri;
        if (p.length() > 1 && p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        switch (p) {
            case "/v1/chat/completions":
            case "/v1/completions":
            case "/v1/responses":
            case "/v1/messages":
            case "/v1/embeddings":
            case "/generate":
            case "/generate_stream":
            case "/api/chat":
            case "/api/generate":
            case "/completion":
                return p;
            default:
                break;
        }
        // Triton's generate extension: /v2/models/{model}[/versions/{v}]/generate[_stream]
        if (p.startsWith("/v2/models/")) {
            if (p.endsWith("/generate_stream")) {
                return "/v2/models/{model}/generate_stream";
            }
            if (p.endsWith("/generate")) {
                return "/v2/models/{model}/generate";
            }
        }
        return OTHER;
    }
}
