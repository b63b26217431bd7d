package io.tokentap.core.stream;

import java.util.ArrayList;
import java.util.List;

/** Records what a decoder reports, as comparable strings (without times) plus the times alongside. */
final class RecordingSink implements StreamEventSink {

    final List<String> events = new ArrayList<>();
    final List<Long> nanos = new ArrayList<>();
    final List<Usage> usages = new ArrayList<>();
    /** The decoder's malformed count after end(), set by {@link Feeder}. */
    long malformed;
    private final boolean wantText;
    private final StringBuilder text = new StringBuilder();
    private final StringBuilder reasoning = new StringBuilder();
    private final StringBuilder toolCall = new StringBuilder();
    private int contentEvents;
    private long statedTokens;

    RecordingSink(boolean wantText) {
        this.wantText = wantText;
    }

    RecordingSink() {
        this(true);
    }

    @Override
    public void content(long at, ContentKind kind, int tokens, String delta) {
        events.add("content " + kind + " " + tokens + " " + delta);
        nanos.add(at);
        contentEvents++;
        statedTokens += tokens;
        if (delta != null) {
            switch (kind) {
                case TEXT -> text.append(delta);
                case REASONING -> reasoning.append(delta);
                case TOOL_CALL -> toolCall.append(delta);
            }
        }
    }

    @Override
    public void empty(long at) {
        events.add("empty");
        nanos.add(at);
    }

    @Override
    public void usage(long at, Usage usage) {
        events.add("usage " + usage);
        nanos.add(at);
        usages.add(usage);
    }

    @Override
    public void error(long at, String type, String message) {
        events.add("error " + type + " " + message);
        nanos.add(at);
    }

    @Override
    public void done(long at) {
        events.add("done");
        nanos.add(at);
    }

    @Override
    public boolean wantsText() {
        return wantText;
    }

    String text() {
        return text.toString();
    }

    String reasoning() {
        return reasoning.toString();
    }

    String toolCall() {
        return toolCall.toString();
    }

    int contentEvents() {
        return contentEvents;
    }

    long contentEvents(ContentKind kind) {
        return events.stream().filter(e -> e.startsWith("content " + kind + " ")).count();
    }

    long statedTokens() {
        return statedTokens;
    }

    long count(String event) {
        return events.stream().filter(e -> e.equals(event)).count();
    }

    /** The usage as a consumer keeps it: the latest known value of each field. */
    Usage mergedUsage() {
        Usage u = Usage.NONE;
        for (Usage x : usages) {
            u = u.merge(x);
        }
        return u;
    }

    String last() {
        return events.isEmpty() ? null : events.get(events.size() - 1);
    }
}
