package io.tokentap.sim.engine;

import io.tokentap.sim.profile.Profile;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The simulated serving engine: one iteration loop with continuous batching, chunked prefill and a paged KV cache,
 * scheduled like vLLM's V1 scheduler.
 *
 * <p>Each iteration first gives every running request its next tokens (a prefill chunk, or one decode token) within
 * the {@code max_num_batched_tokens} budget; a request whose KV cannot grow preempts the newest running request,
 * which goes back to the front of the waiting queue and is recomputed from scratch later. If nothing was preempted,
 * waiting requests are admitted while the budget, {@code max_num_seqs} and free blocks allow. The iteration's
 * duration comes from the {@link CostModel}; its results (sampled tokens) are delivered when it ends, and the next
 * iteration starts at once. The loop never sleeps per token: it schedules the end of the iteration on the engine
 * executor at the computed time.
 *
 * <p>Threading: everything runs on the {@link EngineExecutor}'s thread; {@link #submit} and {@link #abort} hop onto
 * it. {@link #state()} is a snapshot readable from any thread.
 */
public final class Engine {
    private final Profile profile;
    private final CostModel cost;
    private final EngineExecutor executor;
    private final EngineListener listener;
    private final RandomGenerator random;
    private final double timeScale;

    private final int blockSize;
    private final int maxBatchedTokens;
    private final int maxNumSeqs;
    private final int maxWaiting;
    private final long totalBlocks;
    private long freeBlocks;

    private final ArrayDeque<SimRequest> waiting = new ArrayDeque<>();
    private final List<SimRequest> running = new ArrayList<>();
    private final List<SimRequest> batch = new ArrayList<>();
    private int[] batchTokens = new int[64];
    private boolean iterating;
    /** When the iteration in flight ends on the model's timeline (wall nanos). */
    private long iterationEndNanos;
    private long busyNanos;
    private long preemptions;

    private volatile EngineState state;

    private static final long MAX_LAG_NANOS = 20_000_000;

    /**
     * @param timeScale model seconds per wall second: 10 runs the model ten times faster than real hardware
     */
    public Engine(Profile profile, EngineExecutor executor, EngineListener listener, RandomGenerator random,
            double timeScale) {
        if (!(timeScale > 0) || Double.isInfinite(timeScale)) {
            throw new IllegalArgumentException("timeScale: " + timeScale + " (expected: > 0)");
        }
        this.profile = profile;
        this.cost = new CostModel(profile);
        this.executor = executor;
        this.listener = listener;
        this.random = random;
        this.timeScale = timeScale;
        this.blockSize = profile.engine().blockSize();
        this.maxBatchedTokens = profile.engine().maxNumBatchedTokens();
        this.maxNumSeqs = profile.engine().maxNumSeqs();
        this.maxWaiting = profile.engine().maxWaiting();
        this.totalBlocks = profile.numGpuBlocks();
        this.freeBlocks = totalBlocks;
        this.state = new EngineState(0, 0, 0, totalBlocks, 0);
    }

    public Profile profile() {
        return profile;
    }

    public double timeScale() {
        return timeScale;
    }

    /** The gauges as of the last scheduling decision. */
    public EngineState state() {
        return state;
    }

    /** Total preemptions so far. */
    public long preemptions() {
        return preemptions;
    }

    /** Hands a request to the engine; its sink hears {@code onAccepted} or {@code onRejected}, then its tokens. */
    public void submit(SimRequest request) {
        if (executor.inEngineThread()) {
            admit(request);
        } else {
            executor.execute(() -> admit(request));
        }
    }

    /** Drops a request (its client went away): its blocks are freed and it samples no more tokens. */
    public void abort(SimRequest request) {
        if (executor.inEngineThread()) {
            doAbort(request);
        } else {
            executor.execute(() -> doAbort(request));
        }
    }

    private void admit(SimRequest r) {
        if (r.aborted) {
            return;
        }
        if (waiting.size() >= maxWaiting) {
            r.finished = true;
            listener.onRejected();
            r.sink.onRejected(profile.engine().rejectStatus(), profile.engine().retryAfterSeconds());
            return;
        }
        r.arrivalNanos = executor.nanoTime();
        r.targetTokens = r.ignoreEos ? r.maxTokens : Math.min(r.maxTokens, profile.output().sample(random));
        waiting.addLast(r);
        r.sink.onAccepted();
        if (!iterating) {
            startIteration();
        } else {
            publish();
        }
    }

    private void doAbort(SimRequest r) {
        if (r.finished || r.aborted) {
            r.aborted = true;
            return;
        }
        r.aborted = true;
        r.finished = true;
        if (r.running) {
            running.remove(r);
            r.running = false;
        } else {
            waiting.remove(r);
        }
        freeBlocks += r.blocks;
        r.blocks = 0;
        publish();
    }

    private long blocksFor(long tokens) {
        return (tokens + blockSize - 1) / blockSize;
    }

    /** Schedules one iteration and arranges for it to complete at its computed end. */
    private void startIteration() {
        int budget = maxBatchedTokens;
        boolean preempted = false;
        long computedTokens = 0;
        long kvRead = 0;
        int prefillTokens = 0;
        int decodeTokens = 0;
        for (int i = 0; i < running.size() && budget > 0; i++) {
            SimRequest r = running.get(i);
            int n = Math.min(r.pendingTokens(), budget);
            long extra = blocksFor((long) r.computed + n) - r.blocks;
            boolean selfPreempted = false;
            while (extra > freeBlocks) {
                // vLLM's recompute preemption: the newest running request gives its blocks back.
                SimRequest victim = running.remove(running.size() - 1);
                preempt(victim);
                preempted = true;
                if (victim == r) {
                    selfPreempted = true;
                    break;
                }
            }
            if (selfPreempted) {
                break;
            }
            allocate(r, extra);
            addToBatch(r, n);
            budget -= n;
            computedTokens += n;
            kvRead += r.computed;
            if (n > 1 || r.generated == 0) {
                prefillTokens += n;
            } else {
                decodeTokens++;
            }
        }
        if (!preempted) {
            while (!waiting.isEmpty() && budget > 0 && running.size() < maxNumSeqs) {
                SimRequest r = waiting.peekFirst();
                int n = Math.min(r.pendingTokens(), budget);
                long extra = blocksFor((long) r.computed + n) - r.blocks;
                if (extra > freeBlocks) {
                    break; // the KV cache is full: the request waits
                }
                waiting.pollFirst();
                running.add(r);
                r.running = true;
                allocate(r, extra);
                addToBatch(r, n);
                budget -= n;
                computedTokens += n;
                kvRead += r.computed;
                prefillTokens += n;
            }
        }
        if (batch.isEmpty()) {
            iterating = false;
            publish();
            return;
        }
        double seconds = cost.iterationSeconds(computedTokens, kvRead, batch.size());
        long wallNanos = Math.max(1, (long) (seconds * 1e9 / timeScale));
        busyNanos += wallNanos;
        listener.onIteration(wallNanos, prefillTokens, decodeTokens);
        publish();
        // Deadlines are absolute on the model's timeline: an iteration starts when the previous one ended, not when
        // the timer happened to fire, so timer granularity (a Netty select wakes in whole milliseconds) and wake-up
        // latency do not slow the model down. A debt of more than MAX_LAG (a GC pause, an overloaded host) is dropped
        // rather than repaid in a burst.
        long now = executor.nanoTime();
        long start = iterating && now - iterationEndNanos < MAX_LAG_NANOS ? iterationEndNanos : now;
        iterating = true;
        iterationEndNanos = start + wallNanos;
        executor.schedule(this::completeIteration, iterationEndNanos - now);
    }

    private void preempt(SimRequest victim) {
        victim.running = false;
        freeBlocks += victim.blocks;
        victim.blocks = 0;
        victim.computed = 0;
        waiting.addFirst(victim);
        preemptions++;
        listener.onPreemption();
    }

    private void allocate(SimRequest r, long extra) {
        if (extra > 0) {
            r.blocks += (int) extra;
            freeBlocks -= extra;
        }
    }

    private void addToBatch(SimRequest r, int n) {
        int i = batch.size();
        if (i == batchTokens.length) {
            batchTokens = Arrays.copyOf(batchTokens, i * 2);
        }
        batch.add(r);
        batchTokens[i] = n;
    }

    /** The iteration's forward pass ended: every request whose tokens are all computed samples one token. */
    private void completeIteration() {
        long now = executor.nanoTime();
        for (int i = 0; i < batch.size(); i++) {
            SimRequest r = batch.get(i);
            if (r.aborted || !r.running) {
                continue;
            }
            r.computed += batchTokens[i];
            if (r.pendingTokens() != 0) {
                continue; // a prefill chunk: more to compute before the next token
            }
            int index = r.generated++;
            if (index == 0) {
                listener.onFirstToken(now - r.arrivalNanos);
            } else {
                listener.onNextToken(now - r.lastTokenNanos);
            }
            r.lastTokenNanos = now;
            FinishReason finish = null;
            if (r.generated >= r.targetTokens) {
                finish = r.generated >= r.maxTokens ? FinishReason.LENGTH : FinishReason.STOP;
                r.finished = true;
                r.running = false;
                running.remove(r);
                freeBlocks += r.blocks;
                r.blocks = 0;
                listener.onFinished(now - r.arrivalNanos, r.promptTokens, r.generated, finish);
            }
            r.sink.onToken(index, finish);
        }
        batch.clear();
        startIteration();
    }

    private void publish() {
        state = new EngineState(running.size(), waiting.size(), totalBlocks - freeBlocks, totalBlocks, busyNanos);
    }
}
