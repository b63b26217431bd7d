package io.tokentap.loadgen.analysis.results;

/** A result file that cannot be used, with a message that says what was wrong and where. */
public final class ResultFormatException extends Exception {

    public ResultFormatException(String message) {
        super(message);
    }

    public ResultFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
