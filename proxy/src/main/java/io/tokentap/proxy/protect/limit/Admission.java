package io.tokentap.proxy.protect.limit;

import io.tokentap.proxy.protect.Rejection;

/**
 * The answer of {@link AdmissionController#tryAdmit}: either a {@link Ticket} the relay must
 * {@linkplain Ticket#release release} when the request ends, or a {@link Rejection} to answer with.
 */
public final class Admission {

    private final Ticket ticket;
    private final Rejection rejection;

    private Admission(Ticket ticket, Rejection rejection) {
        this.ticket = ticket;
        this.rejection = rejection;
    }

    static Admission admitted(Ticket ticket) {
        return new Admission(ticket, null);
    }

    public static Admission rejected(Rejection rejection) {
        return new Admission(null, rejection);
    }

    public boolean admitted() {
        return ticket != null;
    }

    /** The ticket of an admitted request; throws if rejected. */
    public Ticket ticket() {
        if (ticket == null) {
            throw new IllegalStateException("rejected: " + rejection.reason().label());
        }
        return ticket;
    }

    /** The rejection; throws if admitted. */
    public Rejection rejection() {
        if (rejection == null) {
            throw new IllegalStateException("admitted");
        }
        return rejection;
    }
}
