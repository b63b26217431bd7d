package io.tokentap.proxy.protect.tenant;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.tokentap.proxy.protect.ProtectionConfig;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class TenantResolverTest {

    private static final String KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789";
    private final TenantResolver byKey = new TenantResolver(ProtectionConfig.Tenants.defaults());

    @Test
    void theSameKeyIsTheSameTenantWhicheverHeaderCarriesIt() {
        String fromBearer = byKey.resolve(headers("Authorization", "Bearer " + KEY));
        assertThat(fromBearer).hasSize(16).matches("[0-9a-f]{16}");
        assertThat(byKey.resolve(headers("authorization", "bearer  " + KEY + " "))).isEqualTo(fromBearer);
        assertThat(byKey.resolve(headers("x-api-key", KEY))).isEqualTo(fromBearer);
        assertThat(byKey.resolve(headers("api-key", KEY))).isEqualTo(fromBearer);
        assertThat(fromBearer).isEqualTo(TenantResolver.hash(KEY));
    }

    @Test
    void theIdIsTheTruncatedSha256AndNeverContainsTheKey() {
        // sha256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
        assertThat(TenantResolver.hash("abc")).isEqualTo("ba7816bf8f01cfea");
        String id = byKey.resolve(headers("Authorization", "Bearer " + KEY));
        assertThat(KEY).doesNotContain(id);
        assertThat(id).doesNotContain("sk-");
    }

    @Test
    void differentKeysAreDifferentTenants() {
        assertThat(byKey.resolve(headers("Authorization", "Bearer a")))
                .isNotEqualTo(byKey.resolve(headers("Authorization", "Bearer b")));
    }

    @Test
    void bearerWinsOverTheOtherHeaders() {
        HttpHeaders h = headers("Authorization", "Bearer one");
        h.add("x-api-key", "two");
        assertThat(byKey.resolve(h)).isEqualTo(TenantResolver.hash("one"));
    }

    @Test
    void requestsWithoutAKeyAreAnonymous() {
        assertThat(byKey.resolve(new DefaultHttpHeaders())).isEqualTo(TenantResolver.ANONYMOUS);
        assertThat(byKey.resolve(headers("Authorization", "Bearer"))).isEqualTo(TenantResolver.ANONYMOUS);
    }

    @Test
    void aConfiguredHeaderIsHashedToo() {
        TenantResolver byHeader = new TenantResolver(new ProtectionConfig.Tenants("X-Tenant"));
        HttpHeaders h = headers("x-tenant", "team-a");
        h.add("Authorization", "Bearer " + KEY);
        assertThat(byHeader.resolve(h)).isEqualTo(TenantResolver.hash("team-a"));
        assertThat(byHeader.resolve(headers("Authorization", "Bearer " + KEY))).isEqualTo(TenantResolver.ANONYMOUS);
    }

    private static HttpHeaders headers(String name, String value) {
        return new DefaultHttpHeaders().add(name, value);
    }
}
