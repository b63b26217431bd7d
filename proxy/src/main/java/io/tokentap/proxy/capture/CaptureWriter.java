package io.tokentap.proxy.capture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.tokentap.core.capture.CaptureRecord;
import io.tokentap.core.capture.ShapeRedactor;
import io.tokentap.proxy.metrics.TokentapMeters;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records sampled requests as capture files ({@code docs/capture-format.md}, version 1) on a thread of its own. The
 * relay hands over a finished request through a bounded queue and never waits: a record that finds the queue full is
 * dropped and counted ({@code tokentap_capture_dropped_total{reason="queue_full"}}). Redaction (parsing the body,
 * counting tokens, hashing blocks) and writing happen on the writer thread. A failed write (a full disk, a removed
 * directory) loses that record, counted under {@code reason="write_failed"}, and the writer tries a new file a second
 * later; it never reaches the relay. {@link #close(Duration)} writes what is queued for at most the time it is given,
 * counts what is left then as dropped ({@code reason="shutdown"}) and closes the file whole (a gzip file with its
 * trailer), which is what SIGTERM does after the drain: a stalled disk cannot hold the shutdown up, nor leave a
 * file cut short.
 *
 * <pre>{@code
 * try (CaptureWriter capture = new CaptureWriter(config.capture(), new Random(), Clock.systemUTC())) {
 *     capture.bindTo(registry);
 *     proxyServer.capture(capture);
 *     ...
 * }
 * }</pre>
 *
 * Secret headers are never seen here: the relay passes the body and a hash of the tenant key only.
 */
public final class CaptureWriter implements TrafficCapture, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CaptureWriter.class);
    private static final CapturedExchange STOP = new CapturedExchange(0, "", null, null, null, null);
    private static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Of the time close is given, what it keeps for closing the file (at most a third of it). */
    private static final long CLOSE_MARGIN_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final CaptureConfig config;
    private final Random random;
    private final Clock clock;
    private final LongSupplier nanoTime;
    private final BlockingQueue<CapturedExchange> queue;
    private final RollingCaptureFiles files;
    private final ObjectMapper mapper = new ObjectMapper();
    private final ShapeRedactor shapes;
    private final LongAdder written = new LongAdder();
    private final LongAdder droppedQueueFull = new LongAdder();
    private final LongAdder writeFailed = new LongAdder();
    private final LongAdder droppedShutdown = new LongAdder();
    private final Thread writer;
    private volatile boolean closed;
    /** Set by close: queued records are written until then, and dropped after. */
    private volatile long writeUntilNanos = Long.MAX_VALUE;
    // Writer thread only.
    /** Records in the file's buffers, not yet known to be on disk: counted as written at the next flush. */
    private long buffered;
    private long failedAtNanos;
    private boolean failing;

    public CaptureWriter(CaptureConfig config, Random random, Clock clock) {
        this(config, random, clock, System::nanoTime, RollingCaptureFiles.CREATE_NEW);
    }

    CaptureWriter(CaptureConfig config, Random random, Clock clock, LongSupplier nanoTime,
                  RollingCaptureFiles.Opener opener) {
        if (!config.enabled()) {
            throw new IllegalArgumentException("dir: missing (expected: the capture directory)");
        }
        this.config = config;
        this.random = random;
        this.clock = clock;
        this.nanoTime = nanoTime;
        this.queue = new ArrayBlockingQueue<>(config.queueCapacity());
        this.files = new RollingCaptureFiles(config, clock, nanoTime, opener);
        this.shapes = config.redaction() == CaptureConfig.Redaction.SHAPE ? new ShapeRedactor(512) : null;
        this.writer = new Thread(this::run, "tokentap-capture");
        this.writer.setDaemon(true);
        this.writer.start();
    }

    @Override
    public boolean sample() {
        return !closed && (config.sample() >= 1.0 || random.nextDouble() < config.sample());
    }

    @Override
    public int maxBodyBytes() {
        return config.redaction() == CaptureConfig.Redaction.NONE ? 0 : config.maxBodyBytes();
    }

    @Override
    public long nowMicros() {
        Instant now = clock.instant();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    @Override
    public void record(CapturedExchange e) {
        if (closed || !queue.offer(e)) {
            droppedQueueFull.increment();
        }
    }

    /** Records written to a file (counted once flushed to it). */
    public long written() {
        return written.sum();
    }

    /** Records dropped because the queue was full. */
    public long droppedQueueFull() {
        return droppedQueueFull.sum();
    }

    /** Records lost to a failed write. */
    public long writeFailed() {
        return writeFailed.sum();
    }

    /** Records still queued when the time {@link #close(Duration)} gave ran out. */
    public long droppedShutdown() {
        return droppedShutdown.sum();
    }

    /** Publishes {@code tokentap_capture_records_total} and {@code tokentap_capture_dropped_total{reason}}. */
    public void bindTo(MeterRegistry registry) {
        TokentapMeters.CAPTURE_RECORDS.functionCounter(this, CaptureWriter::written).register(registry);
        TokentapMeters.CAPTURE_DROPPED.functionCounter(this, CaptureWriter::droppedQueueFull)
                .tag("reason", "queue_full").register(registry);
        TokentapMeters.CAPTURE_DROPPED.functionCounter(this, CaptureWriter::writeFailed)
                .tag("reason", "write_failed").register(registry);
        TokentapMeters.CAPTURE_DROPPED.functionCounter(this, CaptureWriter::droppedShutdown)
                .tag("reason", "shutdown").register(registry);
    }

    /** {@link #close(Duration)} within 31 s: 30 s to write what is queued, 1 s to close the file. */
    @Override
    public void close() {
        close(Duration.ofSeconds(31));
    }

    /**
     * Stops taking records, writes the queued ones while {@code limit} less a margin for closing the file (1 s, or a
     * third of the limit) lasts, counts the rest as dropped ({@code reason="shutdown"}) and closes the file. Returns
     * once the file is closed, or after {@code limit} (a disk that does not return leaves the writer thread behind).
     */
    public void close(Duration limit) {
        if (closed) {
            return;
        }
        long limitNanos = limit.toNanos();
        writeUntilNanos = nanoTime.getAsLong() + limitNanos - Math.min(CLOSE_MARGIN_NANOS, limitNanos / 3);
        closed = true;
        // Wakes a writer waiting on an empty queue; a full queue is emptied first (or dropped once the time is up).
        queue.offer(STOP);
        try {
            writer.join(Math.max(1, limit.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        try {
            while (true) {
                CapturedExchange e = queue.poll(200, TimeUnit.MILLISECONDS);
                if (e == STOP || (e == null && closed)) {
                    break;
                }
                if (e == null) {
                    idle();
                    continue;
                }
                writeOrDrop(e);
                if (queue.isEmpty()) {
                    idle();
                }
            }
            // Records offered while the stop marker was being queued.
            for (CapturedExchange e; (e = queue.poll()) != null; ) {
                if (e != STOP) {
                    writeOrDrop(e);
                }
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                files.close();
                onDisk();
            } catch (IOException ex) {
                LOG.warn("capture: closing {} failed: {}", files.current(), ex.toString());
                writeFailed.add(buffered);
                buffered = 0;
            }
        }
    }

    /** Writes {@code e}, unless the time close gave has run out. */
    private void writeOrDrop(CapturedExchange e) {
        if (closed && nanoTime.getAsLong() - writeUntilNanos >= 0) {
            droppedShutdown.increment();
        } else {
            write(e);
        }
    }

    private void idle() {
        if (failing) {
            return;
        }
        try {
            files.flush();
            onDisk();
            files.rotateIfDue();
        } catch (IOException ex) {
            failed(ex);
        }
    }

    private void onDisk() {
        written.add(buffered);
        buffered = 0;
    }

    private void write(CapturedExchange e) {
        if (failing && nanoTime.getAsLong() - failedAtNanos < RETRY_NANOS) {
            writeFailed.increment();
            return;
        }
        byte[] line;
        try {
            line = line(e);
        } catch (IOException | RuntimeException ex) {
            LOG.debug("capture: record not serialisable: {}", ex.toString());
            writeFailed.increment();
            return;
        }
        try {
            if (files.write(line)) {
                onDisk();
            }
            buffered++;
            if (failing) {
                failing = false;
                LOG.info("capture: writing again, to {}", files.current());
            }
        } catch (IOException | RuntimeException ex) {
            writeFailed.increment();
            failed(ex);
        }
    }

    /** A write or flush failed: what the file's buffers held is lost with it. */
    private void failed(Exception ex) {
        writeFailed.add(buffered);
        buffered = 0;
        if (!failing) {
            LOG.warn("capture: write to {} failed, records are dropped until a write succeeds: {}",
                    files.current() == null ? config.dir() : files.current(), ex.toString());
        }
        failing = true;
        failedAtNanos = nanoTime.getAsLong();
        files.abandon();
    }

    /** The record as one JSON line: the body redacted as configured, or metadata only when it cannot be. */
    byte[] line(CapturedExchange e) throws IOException {
        String redaction = "none";
        JsonNode request = null;
        CaptureRecord.Shape shape = null;
        if (e.body() != null && config.redaction() != CaptureConfig.Redaction.NONE) {
            try {
                JsonNode body = mapper.readTree(e.body());
                if (body != null && body.isObject()) {
                    if (config.redaction() == CaptureConfig.Redaction.FULL) {
                        request = body;
                        redaction = "full";
                    } else {
                        shape = shapes.shape(body);
                        redaction = "shape";
                    }
                }
            } catch (IOException | RuntimeException notJson) {
                // Not a JSON body: the record keeps its metadata.
            }
        }
        CaptureRecord r = new CaptureRecord(CaptureRecord.VERSION, e.arrivalUs(), e.route(), e.model(), e.tenant(),
                redaction, request, shape, e.timeline());
        byte[] json = mapper.writeValueAsBytes(r);
        byte[] line = new byte[json.length + 1];
        System.arraycopy(json, 0, line, 0, json.length);
        line[json.length] = '\n';
        return line;
    }
}
