package io.tokentap.loadgen.config;

/**
 * A plan or workload file with a bad field. The message names the file, the line and the field's path, e.g.
 * {@code plan.yaml:12: stages[1].hold: 'ten' is not a duration (expected e.g. 500ms, 30s, 2m, 1h)}.
 */
public final class ConfigException extends RuntimeException {

    private final String field;
    private final int line;

    public ConfigException(String source, int line, String field, String problem) {
        super(source + ":" + line + ": " + (field.isEmpty() ? "" : field + ": ") + problem);
        this.field = field;
        this.line = line;
    }

    /** The path of the bad field, like {@code stages[1].hold}. */
    public String field() {
        return field;
    }

    /** The 1-based line of the bad field. */
    public int line() {
        return line;
    }
}
