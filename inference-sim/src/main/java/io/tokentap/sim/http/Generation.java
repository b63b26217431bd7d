package io.tokentap.sim.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.tokentap.sim.engine.Engine;
import io.tokentap.sim.engine.FinishReason;
import io.tokentap.sim.engine.SimRequest;
import io.tokentap.sim.engine.TokenSink;
import io.tokentap.sim.faults.FaultSpec;
import io.tokentap.sim.truth.GroundTruth;
import java.util.concurrent.TimeUnit;

/**
 * One generation on one connection: the engine's {@link TokenSink}, and the writer of its response.
 *
 * <p>Threading: the engine calls the sink methods on its own thread; each call hops to the channel's event loop,
 * where all the state below lives (plain fields, no locks), or runs at once when the engine shares that loop. Backpressure: while the channel is not writable, or a
 * fault holds the stream, tokens are merged into one pending event (as vLLM merges the deltas of a client that
 * falls behind) and flushed when the channel drains. The engine never waits for a slow client, like a real one;
 * memory per stream is bounded by the request's own output.
 *
 * <p>Events written in one event-loop task (when the host runs behind the model, the engine completes several
 * iterations in one task) are gathered into one HTTP chunk, written and flushed by a task queued behind it: each is
 * still its own SSE event, and they leave in the same system call as before, but the chunk framing, the buffers and
 * the pipeline pass are paid once per task instead of once per token. At real time every iteration is its own task,
 * so every token is still its own chunk.
 */
final class Generation implements TokenSink {
    private final Channel channel;
    private final Engine engine;
    private final StreamFormat format;
    private final ParsedRequest request;
    private final FaultSpec faults;
    private final GroundTruth.Timeline timeline;
    private final String requestId;
    private final long seed;
    private final double timeScale;
    private final Runnable onDone;
    private final SimRequest simRequest;

    private final StringBuilder pending = new StringBuilder(64);
    /** Events written in the current task and not yet passed to the channel; the queued {@link #writeBatch} owns it. */
    private ByteBuf batch;
    private int pendingTokens;
    private int sentTokens;
    private FinishReason finish;
    private int completionTokens;
    private boolean headersSent;
    private boolean holding;
    private boolean firstHeld;
    private boolean stallDone;
    private boolean malformedDone;
    private boolean done;

    Generation(Channel channel, Engine engine, ParsedRequest request, StreamFormat format, FaultSpec faults,
            GroundTruth.Timeline timeline, String requestId, int maxTokens, long seed, double timeScale, Runnable onDone) {
        this.channel = channel;
        this.engine = engine;
        this.request = request;
        this.format = format;
        this.faults = faults;
        this.timeline = timeline;
        this.requestId = requestId;
        this.seed = seed;
        this.timeScale = timeScale;
        this.onDone = onDone;
        this.simRequest = new SimRequest(requestId, request.promptTokens(), maxTokens, request.ignoreEos(), this);
    }

    void start() {
        engine.submit(simRequest);
    }

    // ---- TokenSink: engine thread ----

    @Override
    public void onAccepted() {
        if (request.stream()) {
            onLoop(this::sendHeaders);
        }
    }

    /** Runs on the channel's event loop: directly when the engine shares it (one I/O thread), else as a task. */
    private void onLoop(Runnable task) {
        if (channel.eventLoop().inEventLoop()) {
            task.run();
        } else {
            channel.eventLoop().execute(task);
        }
    }

    @Override
    public void onRejected(int status, int retryAfterSeconds) {
        onLoop(() -> {
            if (done) {
                return;
            }
            done = true;
            finishTimeline();
            String message = status == 429 ? "Too many requests: the waiting queue is full. Retry later."
                    : "Service unavailable: the server is overloaded (waiting queue full).";
            String type = status == 429 ? "rate_limit_error" : "server_error";
            Responses.error(channel, request.route(), new ApiError(status, message, type, null, "overloaded"),
                    retryAfterSeconds, requestId);
            onDone.run();
        });
    }

    @Override
    public void onToken(int index, FinishReason finishReason) {
        if (channel.eventLoop().inEventLoop()) {
            deliver(index, finishReason);
        } else {
            channel.eventLoop().execute(() -> deliver(index, finishReason));
        }
    }

    // ---- event loop ----

    private void sendHeaders() {
        if (done || headersSent) {
            return;
        }
        headersSent = true;
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED)
                .set(HttpHeaderNames.CACHE_CONTROL, "no-cache")
                .set("x-request-id", requestId);
        channel.write(head);
        String open = format.open();
        if (!open.isEmpty()) {
            channel.write(content(open));
        }
        channel.flush();
        if (faults.disconnectAfter() == 0) {
            disconnect();
        }
    }

    private void deliver(int index, FinishReason finishReason) {
        if (done) {
            return;
        }
        pending.append(TextSource.token(seed, index));
        pendingTokens++;
        if (finishReason != null) {
            finish = finishReason;
            completionTokens = index + 1;
        }
        if (!request.stream()) {
            if (finish != null) {
                done = true;
                timeline.event(completionTokens);
                finishTimeline();
                Responses.json(channel, HttpResponseStatus.OK,
                        format.body(pending, finish, request.promptTokens(), completionTokens), requestId);
                onDone.run();
            }
            return;
        }
        if (!headersSent) {
            sendHeaders();
        }
        if (!firstHeld && faults.slowFirstTokenMillis() > 0) {
            firstHeld = true;
            hold(faults.slowFirstTokenMillis());
            return;
        }
        if (holding || (!channel.isWritable() && finish == null)) {
            return;
        }
        flush();
    }

    /** Writes what is pending as one event; called again when the channel becomes writable. */
    void flush() {
        if (done || holding || (pendingTokens == 0 && finish == null)) {
            return;
        }
        ByteBuf out = batch != null ? batch : channel.alloc().buffer(512 + pending.length());
        if (pendingTokens > 0) {
            format.token(out, pending);
        }
        if (faults.malformed() && !malformedDone) {
            malformedDone = true;
            ByteBufUtil.writeUtf8(out, "data: {\"id\":\"" + format.id() + "\",\"choices\":[{\"delta\":{\"content\n\n");
        }
        int tokens = pendingTokens;
        pending.setLength(0);
        pendingTokens = 0;
        sentTokens += tokens;
        boolean last = finish != null;
        if (last) {
            ByteBufUtil.writeUtf8(out, format.close(finish, request.promptTokens(), completionTokens));
        }
        // The ground-truth send time is taken right before the write that carries the tokens (the batch leaves in
        // the flush at the end of this task, as a flush consolidated to the end of the task did).
        timeline.event(tokens);
        if (last) {
            batch = null;
            done = true;
            channel.write(new DefaultHttpContent(out), channel.voidPromise());
            channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            finishTimeline();
            onDone.run();
            return;
        }
        if (batch == null) {
            batch = out;
            channel.eventLoop().execute(this::writeBatch);
        }
        if (faults.disconnectAfter() > 0 && sentTokens >= faults.disconnectAfter()) {
            disconnect();
        } else if (faults.stallMillis() > 0 && !stallDone && sentTokens >= faults.stallAfter()) {
            stallDone = true;
            hold(faults.stallMillis());
        }
    }

    /** Writes and flushes the events gathered in the task that queued this one, as one chunk. */
    private void writeBatch() {
        ByteBuf b = batch;
        if (b != null) {
            batch = null;
            channel.writeAndFlush(new DefaultHttpContent(b), channel.voidPromise());
        }
    }

    private void hold(long modelMillis) {
        holding = true;
        long nanos = (long) (modelMillis * 1e6 / timeScale);
        channel.eventLoop().schedule(() -> {
            holding = false;
            if (channel.isWritable() || finish != null) {
                flush();
            }
        }, nanos, TimeUnit.NANOSECONDS);
    }

    private void disconnect() {
        writeBatch(); // the tokens before the disconnect reach the client, then the connection drops
        done = true;
        engine.abort(simRequest);
        finishTimeline();
        channel.close();
        onDone.run();
    }

    /** The connection closed under the request: the engine drops it. */
    void channelClosed() {
        if (batch != null) {
            batch.release();
            batch = null;
        }
        if (!done) {
            done = true;
            engine.abort(simRequest);
            finishTimeline();
        }
    }

    private boolean timelineDone;

    private void finishTimeline() {
        if (!timelineDone) {
            timelineDone = true;
            timeline.finish();
        }
    }

    private DefaultHttpContent content(CharSequence s) {
        ByteBuf buf = ByteBufUtil.writeUtf8(channel.alloc(), s);
        return new DefaultHttpContent(buf);
    }

}
