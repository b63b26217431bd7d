package io.tokentap.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class HopByHopHeadersTest {

    @Test
    void removesConnectionScopedHeadersAndKeepsTheRest() {
        HttpHeaders h = new DefaultHttpHeaders();
        h.add("Connection", "keep-alive, X-Session");
        h.add("Connection", "x-other");
        h.add("X-Session", "1");
        h.add("X-Other", "2");
        h.add("Keep-Alive", "timeout=5");
        h.add("Proxy-Connection", "keep-alive");
        h.add("TE", "trailers");
        h.add("Trailer", "X-Checksum");
        h.add("Transfer-Encoding", "chunked");
        h.add("Upgrade", "websocket");
        h.add("Content-Type", "text/event-stream");
        h.add("Authorization", "Bearer x");
        h.add("Cache-Control", "no-cache");
        HopByHopHeaders.strip(h);
        assertThat(h.names()).containsExactlyInAnyOrder("Content-Type", "Authorization", "Cache-Control");
    }
}
