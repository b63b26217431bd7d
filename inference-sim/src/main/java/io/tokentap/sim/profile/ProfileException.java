package io.tokentap.sim.profile;

/**
 * A profile field with a bad value, or a profile file that cannot be read. {@link #field()} is the field's YAML
 * path ({@code gpu.memory_gib}); the message names it, and the line when it is known.
 */
public final class ProfileException extends IllegalArgumentException {
    private final String field;

    public ProfileException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
    }

    private ProfileException(String field, String message, Throwable cause) {
        super(message, cause);
        this.field = field;
    }

    /** The YAML path of the bad field, or {@code ""} when the whole file is bad. */
    public String field() {
        return field;
    }

    /** The same problem, with where it was found in front. */
    public ProfileException at(String source, int line) {
        String where = line > 0 ? source + ", line " + line : source;
        return new ProfileException(field, where + ": " + getMessage(), this);
    }
}
