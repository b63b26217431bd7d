package io.tokentap.sim.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.ReferenceCountUtil;
import io.tokentap.sim.engine.Engine;
import io.tokentap.sim.engine.EngineListener;
import io.tokentap.sim.engine.VirtualExecutor;
import io.tokentap.sim.faults.FaultSpec;
import io.tokentap.sim.profile.ProfileLoader;
import io.tokentap.sim.truth.GroundTruth;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A client that stops reading: tokens are merged, none is lost, and the stream resumes when it drains. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class GenerationBackpressureTest {

    @Test
    void tokensAreMergedWhileTheChannelIsNotWritable() {
        VirtualExecutor ex = new VirtualExecutor();
        Engine engine = new Engine(new ProfileLoader().load("tiny"), ex, EngineListener.NOOP, new SplittableRandom(1), 1.0);
        EmbeddedChannel ch = new EmbeddedChannel();
        GroundTruth truth = new GroundTruth(null, 10);
        ParsedRequest req = new ParsedRequest(Route.CHAT, "m", true, false, 40, true, 10);
        OpenAiFormat format = new OpenAiFormat(true, "chatcmpl-x", "m", 0, false);
        Generation g = new Generation(ch, engine, req, format, FaultSpec.NONE, truth.start("r1", format.id()), "r1", 40,
                3, 1.0, () -> {});
        g.start();
        ex.runUntil(20_000_000); // ~10 tokens at ~2 ms each
        List<String> before = drain(ch);
        assertThat(before.size()).isGreaterThan(3);

        ch.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        ex.runUntil(50_000_000);
        assertThat(drain(ch)).as("nothing written while not writable").isEmpty();

        ch.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
        g.flush(); // what channelWritabilityChanged does
        List<String> merged = drain(ch);
        assertThat(merged).hasSize(1);
        ex.runAll();
        List<String> rest = drain(ch);

        List<String> all = new ArrayList<>(before);
        all.addAll(merged);
        all.addAll(rest);
        String body = String.join("", all);
        int words = 0;
        for (String event : body.split("\n\n")) {
            int i = event.indexOf("\"delta\":{\"content\":\"");
            if (i >= 0) {
                String text = event.substring(i + 20, event.indexOf('"', i + 20));
                words += text.trim().split(" ").length;
            }
        }
        assertThat(words).isEqualTo(40);
        assertThat(body).endsWith("data: [DONE]\n\n");
        assertThat(truth.json()).contains("\"request_id\":\"r1\"").containsPattern(",(1[1-9]|[2-9][0-9])\\]");
        ch.finishAndReleaseAll();
    }

    /**
     * The SSE events written so far, each with its blank line. The pending tasks run first: the events a task writes
     * are gathered into one chunk by a task queued behind it, as the event loop runs it after the engine's.
     */
    private static List<String> drain(EmbeddedChannel ch) {
        ch.runPendingTasks();
        List<String> out = new ArrayList<>();
        Object msg;
        while ((msg = ch.readOutbound()) != null) {
            try {
                if (msg instanceof HttpContent c && !(msg instanceof HttpResponse)) {
                    String s = c.content().toString(StandardCharsets.UTF_8);
                    for (String event : s.split("(?<=\n\n)")) {
                        if (!event.isEmpty()) {
                            out.add(event);
                        }
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }
        return out;
    }
}
