package io.tokentap.proxy.capture;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.function.LongSupplier;
import java.util.zip.GZIPOutputStream;

/**
 * The capture's files: {@code capture-20261122T224000Z-00001.jsonl[.gz]} in the capture directory, a new one when
 * the current one holds {@code rotateBytes} (counted before compression) or is {@code rotateInterval} old. Names sort
 * in the order they were written, which is the order a reader replays them in. Used by the writer thread only.
 */
final class RollingCaptureFiles implements Closeable {

    /** Opens a new file for writing (a seam for tests that make writes fail). */
    @FunctionalInterface
    interface Opener {
        OutputStream open(Path file) throws IOException;
    }

    static final Opener CREATE_NEW = f -> Files.newOutputStream(f, StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE);

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private final Path dir;
    private final long rotateBytes;
    private final long rotateNanos;
    private final boolean gzip;
    private final Clock clock;
    private final LongSupplier nanoTime;
    private final Opener opener;
    private OutputStream out;
    private Path current;
    private long bytes;
    private long openedNanos;
    private int seq;

    RollingCaptureFiles(CaptureConfig config, Clock clock, LongSupplier nanoTime, Opener opener) {
        this.dir = config.dir();
        this.rotateBytes = config.rotateBytes();
        this.rotateNanos = config.rotateInterval().toNanos();
        this.gzip = config.gzip();
        this.clock = clock;
        this.nanoTime = nanoTime;
        this.opener = opener;
    }

    /**
     * Writes one line (the bytes include the newline), opening or rotating the file first as needed. Returns true
     * when it closed the previous file first (so everything written before is on disk).
     */
    boolean write(byte[] line) throws IOException {
        boolean rotated = false;
        if (out != null && (bytes >= rotateBytes || nanoTime.getAsLong() - openedNanos >= rotateNanos)) {
            closeCurrent();
            rotated = true;
        }
        if (out == null) {
            open();
        }
        out.write(line);
        bytes += line.length;
        return rotated;
    }

    /** Pushes what is buffered to the file (a gzip file is sync-flushed, so its content so far is readable). */
    void flush() throws IOException {
        if (out != null) {
            out.flush();
        }
    }

    /** Closes a file that is due for rotation while no records come, so that it is complete on disk. */
    boolean rotateIfDue() throws IOException {
        if (out != null && nanoTime.getAsLong() - openedNanos >= rotateNanos) {
            closeCurrent();
            return true;
        }
        return false;
    }

    /** After a failed write: drops the current file without further writes; the next record opens a new one. */
    void abandon() {
        OutputStream o = out;
        out = null;
        current = null;
        if (o != null) {
            try {
                o.close();
            } catch (IOException | RuntimeException ignored) {
                // The file is already broken; what matters is that the next record starts a fresh one.
            }
        }
    }

    Path current() {
        return current;
    }

    @Override
    public void close() throws IOException {
        closeCurrent();
    }

    private void closeCurrent() throws IOException {
        OutputStream o = out;
        out = null;
        current = null;
        if (o != null) {
            o.close();
        }
    }

    private void open() throws IOException {
        Files.createDirectories(dir);
        String stamp = STAMP.format(clock.instant());
        while (true) {
            seq++;
            Path f = dir.resolve(String.format("capture-%s-%05d.jsonl%s", stamp, seq, gzip ? ".gz" : ""));
            OutputStream raw;
            try {
                raw = opener.open(f);
            } catch (FileAlreadyExistsException e) {
                continue; // another run wrote into the same directory in the same second
            }
            OutputStream o = new BufferedOutputStream(raw, 1 << 16);
            out = gzip ? new BufferedOutputStream(new GZIPOutputStream(o, 1 << 16, true), 1 << 16) : o;
            current = f;
            bytes = 0;
            openedNanos = nanoTime.getAsLong();
            return;
        }
    }
}
