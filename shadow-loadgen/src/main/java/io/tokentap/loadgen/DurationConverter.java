package io.tokentap.loadgen;

import io.tokentap.loadgen.config.Durations;
import java.time.Duration;
import picocli.CommandLine;

/** Reads {@code 30s}, {@code 2m}, {@code 1h} on the command line. */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        try {
            return Durations.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
