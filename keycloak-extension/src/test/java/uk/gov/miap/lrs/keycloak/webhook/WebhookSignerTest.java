package uk.gov.miap.lrs.keycloak.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class WebhookSignerTest {

    @Test
    void rfc4231TestCase2() {
        // RFC 4231 §4.3: key "Jefe", data "what do ya want for nothing?"
        assertEquals("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                new WebhookSigner("Jefe").hmacHex("what do ya want for nothing?".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void signsTimestampDotBody() {
        // python: hmac.new(b'topsecret', b'1700000000.{"kind":"login","id":"e1"}', sha256).hexdigest()
        assertEquals("sha256=c5b24fc18e642f22d94f43ecc94ce404dc44121533d92425b1281a966574f9e9",
                new WebhookSigner("topsecret").sign(1700000000L, "{\"kind\":\"login\",\"id\":\"e1\"}"));
    }

    @Test
    void usesUtf8ForSecretAndBody() {
        assertEquals("sha256=3e5268c2bf36c1b61d6e222a01bccaf0812bd2f18175f46acb909c4732f1eae2",
                new WebhookSigner("s\u00e9cret").sign(1700000000L, "{\"t\":\"\u00e9\"}"));
    }

    @Test
    void lowercaseHexAndPrefix() {
        String sig = new WebhookSigner("k").sign(1L, "x");
        assertTrue(sig.matches("sha256=[0-9a-f]{64}"), sig);
    }

    @Test
    void rejectsEmptySecret() {
        assertThrows(IllegalArgumentException.class, () -> new WebhookSigner(""));
        assertThrows(IllegalArgumentException.class, () -> new WebhookSigner(null));
    }
}
