package io.tokentap.proxy.protect.admit;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpRequest;
import io.tokentap.proxy.protect.Rejection;
import io.tokentap.proxy.protect.limit.Ticket;

/**
 * A request head that went through {@link AdmissionHandler}: exactly one of a ticket (admitted), a rejection, or
 * {@link #tooLarge()} is set. It is followed by one {@code LastHttpContent} holding the whole body (empty unless
 * admitted), so the relay sees the same framing as from the HTTP codec and answers rejections in request order.
 */
public final class AdmittedRequest extends DefaultHttpRequest {

    private final Ticket ticket;
    private final Rejection rejection;
    private final boolean tooLarge;
    private final boolean usageInjected;

    AdmittedRequest(HttpRequest head, Ticket ticket, Rejection rejection, boolean tooLarge) {
        this(head, ticket, rejection, tooLarge, false);
    }

    AdmittedRequest(HttpRequest head, Ticket ticket, Rejection rejection, boolean tooLarge, boolean usageInjected) {
        super(head.protocolVersion(), head.method(), head.uri(), head.headers());
        this.ticket = ticket;
        this.rejection = rejection;
        this.tooLarge = tooLarge;
        this.usageInjected = usageInjected;
    }

    /** The admission ticket, or null if not admitted. */
    public Ticket ticket() {
        return ticket;
    }

    /** Why the request was refused, or null. */
    public Rejection rejection() {
        return rejection;
    }

    /**
     * The proxy added {@code stream_options.include_usage} to the body: the usage-only chunk of the response is the
     * proxy's, not the client's, and is taken out of what the client sees.
     */
    public boolean usageInjected() {
        return usageInjected;
    }

    /** The body exceeded {@code maxRequestBodyBytes}: answer 413 and close the connection. */
    public boolean tooLarge() {
        return tooLarge;
    }
}
