package io.tokentap.loadgen.exec;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.tokentap.loadgen.plan.LoadModel;
import io.tokentap.loadgen.plan.StageSpec;
import io.tokentap.loadgen.result.RequestOutcome;
import io.tokentap.loadgen.result.StageRecorder;
import io.tokentap.loadgen.schedule.Schedule;
import io.tokentap.loadgen.workload.RequestSpec;
import io.tokentap.loadgen.workload.Workload;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * The non-blocking executor. A dispatcher event loop walks a stage's schedule and hands each request, at its
 * intended time, to one of the connection event loops ({@link ClientWorker}s, round robin); closed stages keep N
 * "users" busy instead. Responses are decoded with stream-core's decoders into a {@code RequestTimeline} per
 * request that starts at the intended time.
 *
 * <p>The dispatcher and every connection loop run a {@link LoopProbe}, and the dispatch lateness of each request is
 * recorded as schedule lag: together they say whether the client kept up.
 *
 * <pre>{@code
 * LoadExecutor ex = new LoadExecutor(settings, connectionGroup, dispatcherLoop);
 * ex.runStage(stage, schedule, workload, recorder, budget, deadlineNanos).get();
 * ex.awaitIdle(Duration.ofSeconds(30));
 * }</pre>
 */
public final class LoadExecutor {

    private final ExecutorSettings settings;
    private final LongSupplier nanoTime;
    private final EventLoop dispatcher;
    private final List<ClientWorker> workers = new ArrayList<>();
    private final List<LoopProbe> probes = new ArrayList<>();
    private final AtomicReference<StageRecorder> current = new AtomicReference<>();
    private final AtomicLong inFlight = new AtomicLong();
    private final AtomicLong connectionsOpened = new AtomicLong();
    private final Object idleLock = new Object();
    private CompletableFuture<Void> idle;
    private int nextWorker;
    private volatile StageRun running;

    public LoadExecutor(ExecutorSettings settings, EventLoopGroup connections, EventLoop dispatcher) {
        this.settings = settings;
        this.nanoTime = settings.nanoTime();
        this.dispatcher = dispatcher;
        List<EventLoop> loops = new ArrayList<>();
        connections.forEach(e -> loops.add((EventLoop) e));
        int n = loops.size();
        int perLoopConnections = Math.max(1, settings.client().maxConnections() / n);
        int perLoopQueue = Math.max(0, settings.client().maxQueue() / n);
        for (EventLoop loop : loops) {
            workers.add(new ClientWorker(loop, settings, perLoopConnections, perLoopQueue, connectionsOpened));
            probes.add(new LoopProbe(loop, nanoTime, current::get));
        }
        probes.add(new LoopProbe(dispatcher, nanoTime, current::get));
        probes.forEach(LoopProbe::start);
    }

    /** Requests dispatched and not ended yet, over all stages. */
    public long inFlight() {
        return inFlight.get();
    }

    /** Connections opened since the start. */
    public long connectionsOpened() {
        return connectionsOpened.get();
    }

    /**
     * Runs one stage. The returned future completes when the stage stops dispatching: at its end, at
     * {@code deadlineNanos}, when the budget or the workload runs out, or on {@link #stopStage()}; with the reason.
     * Requests still running then go on and are recorded in this stage; a closed stage started next counts their
     * users toward its own level until they end.
     *
     * @param schedule the arrivals of an open or replay stage; ignored by a closed stage
     */
    public CompletableFuture<String> runStage(StageSpec stage, Schedule schedule, Workload workload,
                                              StageRecorder recorder, RequestBudget budget, long deadlineNanos) {
        return runStage(stage, schedule, workload, recorder, budget, deadlineNanos, null);
    }

    /**
     * Runs one stage after a warm-up: requests whose intended start falls in the warm-up are recorded in
     * {@code warmup.recorder()} (and so left out of the stage's results); the stage's own length starts counting when
     * the warm-up ends. Closed and open stages only.
     *
     * @param warmup the warm-up, or null for none
     */
    public CompletableFuture<String> runStage(StageSpec stage, Schedule schedule, Workload workload,
                                              StageRecorder recorder, RequestBudget budget, long deadlineNanos,
                                              Warmup warmup) {
        if (warmup != null && stage.model() == LoadModel.REPLAY) {
            throw new IllegalArgumentException("a replay stage has no warm-up");
        }
        // The loops' lag goes where the requests' figures go: to the warm-up's recorder until the warm-up ends.
        current.set(warmup == null ? recorder : warmup.recorder());
        long start = nanoTime.getAsLong();
        // With a warm-up, the hold may be stretched (see Warmup): the stage can last up to its warm-up plus
        // HOLD_STRETCH times its length.
        long length = warmup == null ? stage.profile().duration().toNanos()
                : warmup.max().toNanos() + HOLD_STRETCH * stage.profile().duration().toNanos();
        long end = stage.model() == LoadModel.REPLAY ? deadlineNanos : Math.min(deadlineNanos, start + length);
        StageRun run = new StageRun(stage, new SynchronizedWorkload(workload), recorder, budget, start, end, warmup,
                running);
        running = run;
        dispatcher.execute(stage.model() == LoadModel.CLOSED ? run::closedTick : () -> run.openTick(schedule));
        if (warmup != null) {
            dispatcher.schedule(run::warmupTick, WARMUP_CHECK_NANOS, TimeUnit.NANOSECONDS);
        }
        return run.done;
    }

    private static final long WARMUP_CHECK_NANOS = 100_000_000L;
    /** A closed user refused with 429/503/529 waits the server's Retry-After, at most this long... */
    static final long MAX_REFUSED_PAUSE_NANOS = 10_000_000_000L;
    /** ...or this long when the server gave none. */
    static final long DEFAULT_REFUSED_PAUSE_NANOS = 100_000_000L;
    /** A warmed-up stage's measured window lasts at most this many times the stage's length. */
    public static final int HOLD_STRETCH = 4;

    /** Stops the running stage's dispatching now (Ctrl-C). */
    public void stopStage() {
        StageRun r = running;
        if (r != null) {
            dispatcher.execute(() -> r.finish("interrupted"));
        }
    }

    /** Ends every running and queued request as a client cancel. */
    public void cancelAll() {
        for (ClientWorker w : workers) {
            w.loop.execute(() -> w.cancelAll(RequestOutcome.CLIENT_CANCEL));
        }
    }

    /** Waits until no request is in flight; returns false on timeout. */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        CompletableFuture<Void> f;
        synchronized (idleLock) {
            if (inFlight.get() == 0) {
                return true;
            }
            f = idle = new CompletableFuture<>();
        }
        try {
            f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Stops the probes. The event loop groups belong to the caller. */
    public void close() {
        probes.forEach(LoopProbe::stop);
    }

    private void ended() {
        if (inFlight.decrementAndGet() == 0) {
            synchronized (idleLock) {
                if (idle != null && inFlight.get() == 0) {
                    idle.complete(null);
                }
            }
        }
    }

    /**
     * The worker of the connection loop this runs on, else the next in turn. A closed user's next request is sent
     * from the loop its last one ended on, so it stays there: no thread hop, and its keep-alive connection is the
     * one it takes again. Users start, and open-model arrivals and session turns go out, from the dispatcher, in turn.
     */
    private ClientWorker pickWorker() {
        for (ClientWorker w : workers) {
            if (w.loop.inEventLoop()) {
                return w;
            }
        }
        // Only the dispatcher picks here; a plain counter race only skews the round robin.
        int i = Math.floorMod(nextWorker++, workers.size());
        return workers.get(i);
    }

    /** One stage's dispatching state. Open-model fields are touched only on the dispatcher loop. */
    private final class StageRun {
        final StageSpec stage;
        final Workload workload;
        final StageRecorder recorder;
        final RequestBudget budget;
        final long startNanos;
        // Moved once, on the dispatcher, when a warm-up ends; read by the connection loops' callbacks too.
        volatile long endNanos;
        final Warmup warmup;
        // The closed model's level over time: with a warm-up, held on through a stretched hold.
        final io.tokentap.loadgen.schedule.LoadProfile profile;
        // Requests intended before this instant belong to the warm-up.
        volatile long measureFromNanos;
        final CompletableFuture<String> done = new CompletableFuture<>();
        volatile boolean stopped;
        long nextAbs = Long.MIN_VALUE;
        // Closed model: users running and users asked to leave.
        final AtomicLong users = new AtomicLong();
        final AtomicLong retiring = new AtomicLong();
        // The stage run before this one, whose closed users may still be finishing their last request.
        final StageRun previous;

        StageRun(StageSpec stage, Workload workload, StageRecorder recorder, RequestBudget budget, long startNanos,
                 long endNanos, Warmup warmup, StageRun previous) {
            this.stage = stage;
            this.previous = previous;
            this.workload = workload;
            this.recorder = recorder;
            this.budget = budget;
            this.startNanos = startNanos;
            this.endNanos = endNanos;
            this.warmup = warmup;
            this.measureFromNanos = warmup == null ? Long.MIN_VALUE : Long.MAX_VALUE;
            this.profile = warmup == null ? stage.profile()
                    : stage.profile().lengthened(stage.profile().duration().multipliedBy(HOLD_STRETCH - 1));
        }

        /**
         * Ends the warm-up once it has lasted its minimum and the requests in flight have turned over once (as many
         * warm-up requests ended as are now in flight), or at its maximum; the stage's length then starts.
         */
        void warmupTick() {
            if (stopped) {
                return;
            }
            long now = nanoTime.getAsLong();
            long elapsed = now - startNanos;
            StageRecorder w = warmup.recorder();
            boolean turnedOver = elapsed >= warmup.min().toNanos()
                    && w.ended() >= Math.max(Warmup.MIN_ENDED, inFlight.get());
            if (turnedOver || elapsed >= warmup.max().toNanos()) {
                measureFromNanos = now;
                current.compareAndSet(w, recorder);
                endNanos = Math.min(endNanos, now + HOLD_STRETCH * stage.profile().duration().toNanos());
                warmup.ended().complete(now);
                dispatcher.schedule(this::holdTick, stage.profile().duration().toNanos(), TimeUnit.NANOSECONDS);
            } else {
                dispatcher.schedule(this::warmupTick, WARMUP_CHECK_NANOS, TimeUnit.NANOSECONDS);
            }
        }

        /**
         * Ends a warmed-up stage once it was held for its length and at least {@link Warmup#minRequests()} requests
         * were sent in the measured window; until then the hold goes on, up to {@link #HOLD_STRETCH} times.
         */
        void holdTick() {
            if (stopped) {
                return;
            }
            if (recorder.ended() + recorder.inFlight() >= warmup.minRequests()) {
                finish("stage complete");
            } else {
                dispatcher.schedule(this::holdTick, WARMUP_CHECK_NANOS, TimeUnit.NANOSECONDS);
            }
        }

        /**
         * Where the stage's load profile starts: at the stage's start, or after the warm-up, which holds the
         * profile's first value.
         */
        long profileStartNanos(long now) {
            if (warmup == null) {
                return startNanos;
            }
            long from = measureFromNanos;
            return from == Long.MAX_VALUE ? now : from;
        }

        /** The recorder of a request intended at {@code intended}: the warm-up's, or the stage's. */
        StageRecorder recorderFor(long intended) {
            return intended < measureFromNanos ? warmup.recorder() : recorder;
        }

        void finish(String reason) {
            if (!stopped) {
                stopped = true;
                done.complete(reason);
            }
        }

        /** Sends every arrival that is due, then sleeps on the loop's timer until the next one. */
        void openTick(Schedule schedule) {
            if (stopped) {
                return;
            }
            long now = nanoTime.getAsLong();
            while (true) {
                if (nextAbs == Long.MIN_VALUE) {
                    long off = schedule.nextOffsetNanos();
                    if (off == Schedule.END) {
                        if (stage.model() == LoadModel.REPLAY || now >= endNanos) {
                            finish(stage.model() == LoadModel.REPLAY ? "replay complete" : "stage complete");
                        } else {
                            dispatcher.schedule(() -> finish("stage complete"), endNanos - now, TimeUnit.NANOSECONDS);
                        }
                        return;
                    }
                    nextAbs = startNanos + off;
                }
                if (nextAbs >= endNanos) {
                    if (now >= endNanos) {
                        // A replay's end is the run's deadline; an open stage's is its length or the deadline.
                        finish(stage.model() == LoadModel.REPLAY
                                || endNanos < startNanos + stage.profile().duration().toNanos()
                                ? "max duration" : "stage complete");
                    } else {
                        dispatcher.schedule(() -> openTick(schedule), endNanos - now, TimeUnit.NANOSECONDS);
                    }
                    return;
                }
                if (nextAbs > now) {
                    dispatcher.schedule(() -> openTick(schedule), nextAbs - now, TimeUnit.NANOSECONDS);
                    return;
                }
                if (!dispatch(nextAbs, now)) {
                    return;
                }
                nextAbs = Long.MIN_VALUE;
            }
        }

        /** Takes the next request and hands it to a connection loop; false when the stage must stop. */
        boolean dispatch(long intended, long now) {
            if (!budget.tryTake()) {
                finish("max requests");
                return false;
            }
            RequestSpec spec = workload.next();
            if (spec == null) {
                finish("workload exhausted");
                return false;
            }
            submit(spec, intended, now, null, this::openEnded);
            return true;
        }

        void submit(RequestSpec spec, long intended, long now, InFlightRequest previous,
                    java.util.function.BiConsumer<InFlightRequest, RequestOutcome> onEnd) {
            inFlight.incrementAndGet();
            StageRecorder rec = recorderFor(intended);
            rec.dispatched(now - intended);
            ClientWorker w = pickWorker();
            InFlightRequest r = new InFlightRequest(spec, intended, rec, (req, o) -> {
                // The chain's totals are recorded before the request stops counting as in flight, so a stage that
                // waits for its last request to end also sees that request's chain.
                try {
                    onEnd.accept(req, o);
                } finally {
                    ended();
                }
            });
            r.loop = w.loop;
            if (previous != null) {
                // A later call of a session or pipeline: the chain's start and tokens carry over.
                r.chainStartNanos = previous.chainStartNanos;
                r.chainTokensBefore = previous.chainTokens();
            }
            if (w.loop.inEventLoop()) {
                w.submit(r);
            } else {
                w.loop.execute(() -> w.submit(r));
            }
        }

        /** An open-model request ended: a session's next turn follows after the think time. */
        void openEnded(InFlightRequest r, RequestOutcome o) {
            RequestSpec next = nextTurn(r, o);
            if (next == null) {
                return;
            }
            long think = r.spec.session().thinkTimeNanos();
            long intended = nanoTime.getAsLong() + think;
            dispatcher.schedule(() -> {
                if (!stopped && budget.tryTake()) {
                    submit(next, intended, nanoTime.getAsLong(), r, this::openEnded);
                } else {
                    chainCut(r);
                }
            }, think, TimeUnit.NANOSECONDS);
        }

        /**
         * The next call of the request's session or pipeline, or null. When the chain ends here, its totals are
         * recorded: complete when this call succeeded and was the last one.
         */
        private RequestSpec nextTurn(InFlightRequest r, RequestOutcome o) {
            boolean inChain = r.spec.session() != null || r.chainStartNanos != r.intendedNanos;
            RequestSpec next = null;
            if (o == RequestOutcome.OK && r.spec.session() != null) {
                next = r.spec.session().nextTurn(r.spec, r.timeline.outputTokens());
            }
            if (inChain && (next == null || stopped)) {
                recorderFor(r.chainStartNanos).chainEnded(r.chainStartNanos, r.timeline.endNanos(), r.chainTokens(),
                        o == RequestOutcome.OK && next == null);
            }
            return stopped ? null : next;
        }

        /** Closed model: every 50 ms, add users up to the profile's level or ask some to leave. */
        void closedTick() {
            if (stopped) {
                return;
            }
            long now = nanoTime.getAsLong();
            if (now >= endNanos) {
                finish(endNanos < startNanos + stage.profile().duration().toNanos() ? "max duration" : "stage complete");
                return;
            }
            refill(now);
            dispatcher.schedule(this::closedTick, Math.min(50_000_000L, endNanos - now), TimeUnit.NANOSECONDS);
        }

        /**
         * Brings the closed stage to its level at {@code now}: starts users, takes back users asked to leave, or asks
         * some to leave. Users of earlier stages still finishing their last request count toward the level, so that
         * back-to-back closed stages hand their users on instead of stacking them (a step from 2 to 4 users never
         * puts 6 requests in flight); each one that ends makes room for a user of this stage ({@link #carriedLeft}).
         */
        void refill(long now) {
            if (stopped) {
                return;
            }
            long target = Math.round(profile.valueAt(Math.max(0, now - profileStartNanos(now)) / 1e9));
            long active = users.get() - retiring.get();
            long carried = carried();
            for (long i = active + carried; i < target && !stopped; i++) {
                if (retiring.get() > 0) {
                    retiring.decrementAndGet();
                } else {
                    users.incrementAndGet();
                    userNext(null, now, null);
                }
            }
            if (active > target) {
                retiring.addAndGet(active - target);
            }
        }

        /** Closed users of the stages before this one that have not left yet (a stopped stage's only go down). */
        long carried() {
            long n = 0;
            for (StageRun p = previous; p != null; p = p.previous) {
                n += p.users.get();
            }
            return n;
        }

        /** A user of this stage left after it stopped: the running closed stage may start one in its place. */
        void carriedLeft() {
            StageRun next = running;
            if (next != this && next != null && next.stage.model() == LoadModel.CLOSED) {
                dispatcher.execute(() -> next.refill(nanoTime.getAsLong()));
            }
        }

        /** A closed user sends its next request: the session's next turn, or a fresh one from the workload. */
        void userNext(RequestSpec spec, long intended, InFlightRequest previous) {
            if (stopped || leave()) {
                chainCut(previous);
                return;
            }
            if (spec == null) {
                if (!budget.tryTake()) {
                    users.decrementAndGet();
                    dispatcher.execute(() -> finish("max requests"));
                    return;
                }
                spec = workload.next();
                if (spec == null) {
                    users.decrementAndGet();
                    dispatcher.execute(() -> finish("workload exhausted"));
                    return;
                }
            } else if (!budget.tryTake()) {
                chainCut(previous);
                users.decrementAndGet();
                dispatcher.execute(() -> finish("max requests"));
                return;
            }
            submit(spec, intended, nanoTime.getAsLong(), previous, this::closedEnded);
        }

        /** A session or pipeline could not send its next call: it counts as incomplete. */
        private void chainCut(InFlightRequest previous) {
            if (previous != null) {
                recorderFor(previous.chainStartNanos).chainEnded(previous.chainStartNanos, nanoTime.getAsLong(),
                        previous.chainTokens(), false);
            }
        }

        private boolean leave() {
            if (stopped) {
                users.decrementAndGet();
                carriedLeft();
                return true;
            }
            long r = retiring.get();
            while (r > 0) {
                if (retiring.compareAndSet(r, r - 1)) {
                    users.decrementAndGet();
                    return true;
                }
                r = retiring.get();
            }
            return false;
        }

        void closedEnded(InFlightRequest r, RequestOutcome o) {
            RequestSpec next = nextTurn(r, o);
            if (stopped) {
                users.decrementAndGet();
                carriedLeft();
                return;
            }
            if (next != null) {
                long think = r.spec.session().thinkTimeNanos();
                long intended = nanoTime.getAsLong() + think;
                dispatcher.schedule(() -> userNext(next, intended, r), think, TimeUnit.NANOSECONDS);
            } else {
                // Closed model: the next request starts when this one ends; its intended time is now.
                long now = nanoTime.getAsLong();
                if (o == RequestOutcome.DROPPED || o == RequestOutcome.CONNECTION_ERROR) {
                    // Do not spin on a refused connection: retry after a short pause.
                    dispatcher.schedule(() -> userNext(null, nanoTime.getAsLong(), null), 10, TimeUnit.MILLISECONDS);
                } else if (o == RequestOutcome.RATE_LIMITED || o == RequestOutcome.OVERLOADED) {
                    // Refused: the user waits as the OpenAI and Anthropic SDKs do, the server's Retry-After (capped),
                    // else a short pause, instead of hammering a full queue in a loop.
                    long pause = r.retryAfterNanos >= 0 ? Math.min(r.retryAfterNanos, MAX_REFUSED_PAUSE_NANOS)
                            : DEFAULT_REFUSED_PAUSE_NANOS;
                    dispatcher.schedule(() -> userNext(null, nanoTime.getAsLong(), null), pause, TimeUnit.NANOSECONDS);
                } else {
                    // On this request's own loop, after the current read, once its connection is idle again: no
                    // thread hop between one request's end and the next one's send.
                    r.loop.execute(() -> userNext(null, now, null));
                }
            }
        }
    }

    /** Serialises access to a workload shared by the dispatcher and the connection loops (closed users, sessions). */
    private static final class SynchronizedWorkload implements Workload {
        private final Workload inner;

        SynchronizedWorkload(Workload inner) {
            this.inner = inner;
        }

        @Override
        public synchronized RequestSpec next() {
            return inner.next();
        }

        @Override
        public String describe() {
            return inner.describe();
        }
    }
}
