package io.tokentap.sim.truth;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The send time of every streamed event of every request, taken right before the event's {@code writeAndFlush},
 * so that the proxy's and the load generator's timings can be checked against the source. Opt-in
 * ({@code --ground-truth FILE}): finished requests are appended to the file as JSON lines and the last
 * {@code keep} of them are served at {@code GET /ground-truth}.
 *
 * <p>One line per request: {@code {"request_id":"…","response_id":"…","events":[[nanoTime, epochMillis, tokens],…]}};
 * {@code nanoTime} is this process's {@link System#nanoTime()}, comparable with another process's only through
 * {@code epochMillis}.
 */
public final class GroundTruth implements AutoCloseable {
    private final BufferedWriter out;
    /** File writes happen here, never on an event loop. */
    private final ExecutorService writer;
    private final int keep;
    private final Deque<String> recent = new ArrayDeque<>();
    private final boolean disabled;

    /**
     * @param file where to append JSON lines, or null to keep them in memory only
     * @param keep finished requests kept for {@code GET /ground-truth}; with no file and 0, nothing is recorded
     */
    public GroundTruth(Path file, int keep) {
        this.keep = keep;
        this.disabled = file == null && keep == 0;
        try {
            this.out = file == null ? null : Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write ground truth to " + file, e);
        }
        this.writer = file == null ? null : Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "sim-ground-truth");
            t.setDaemon(true);
            return t;
        });
    }

    /** Whether anything is recorded. */
    public boolean enabled() {
        return !disabled;
    }

    /** The timeline of one request; used by one event loop thread. */
    public Timeline start(String requestId, String responseId) {
        return new Timeline(requestId, responseId);
    }

    /** The events of one request. */
    public final class Timeline {
        private final String requestId;
        private final String responseId;
        private long[] data = new long[48];
        private int n;

        Timeline(String requestId, String responseId) {
            this.requestId = requestId;
            this.responseId = responseId;
        }

        /** One event with {@code tokens} tokens is about to be written, now. */
        public void event(int tokens) {
            if (disabled) {
                return;
            }
            if (n + 3 > data.length) {
                data = Arrays.copyOf(data, data.length * 2);
            }
            data[n++] = System.nanoTime();
            data[n++] = System.currentTimeMillis();
            data[n++] = tokens;
        }

        /** The request ended (normally or not): its line is stored. */
        public void finish() {
            if (disabled) {
                return;
            }
            StringBuilder b = new StringBuilder(64 + n * 12);
            b.append("{\"request_id\":\"").append(requestId).append("\",\"response_id\":\"").append(responseId)
                    .append("\",\"events\":[");
            for (int i = 0; i < n; i += 3) {
                if (i > 0) {
                    b.append(',');
                }
                b.append('[').append(data[i]).append(',').append(data[i + 1]).append(',').append(data[i + 2]).append(']');
            }
            b.append("]}");
            add(b.toString());
        }
    }

    private synchronized void add(String line) {
        recent.addLast(line);
        if (recent.size() > keep) {
            recent.removeFirst();
        }
        if (writer != null) {
            writer.execute(() -> {
                try {
                    out.write(line);
                    out.write('\n');
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    /** The kept requests as a JSON array. */
    public synchronized String json() {
        return "[" + String.join(",\n", recent) + "]\n";
    }

    @Override
    public void close() throws IOException {
        if (writer != null) {
            writer.shutdown();
            try {
                writer.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            out.close();
        }
    }
}
