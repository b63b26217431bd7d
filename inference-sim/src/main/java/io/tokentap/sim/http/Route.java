package io.tokentap.sim.http;

/** The generation endpoints. */
enum Route {
    CHAT("/v1/chat/completions"),
    COMPLETIONS("/v1/completions"),
    MESSAGES("/v1/messages");

    final String path;

    Route(String path) {
        this.path = path;
    }

    static Route of(String path) {
        for (Route r : values()) {
            if (r.path.equals(path)) {
                return r;
            }
        }
        return null;
    }
}
