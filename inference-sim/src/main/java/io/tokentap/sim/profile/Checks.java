package io.tokentap.sim.profile;

/** Validation helpers for the profile records: every message starts with the field's YAML path. */
final class Checks {
    private Checks() {}

    static void positive(String field, double v) {
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new ProfileException(field, v + " (expected: > 0)");
        }
    }

    static void nonNegative(String field, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new ProfileException(field, v + " (expected: >= 0)");
        }
    }

    static void fraction(String field, double v) {
        if (!(v > 0 && v <= 1)) {
            throw new ProfileException(field, v + " (expected: in (0, 1])");
        }
    }

    static void notBlank(String field, String v) {
        if (v == null || v.isBlank()) {
            throw new ProfileException(field, "'" + v + "' (expected: a non-empty string)");
        }
    }
}
