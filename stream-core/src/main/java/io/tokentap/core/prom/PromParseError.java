package io.tokentap.core.prom;

/**
 * A line the parser skipped, with why. A scrape with errors still yields every line that did parse: exporters in the
 * wild (and documentation examples) contain lines that are not valid exposition format.
 *
 * @param lineNumber 1-based
 */
public record PromParseError(int lineNumber, String line, String message) { }
