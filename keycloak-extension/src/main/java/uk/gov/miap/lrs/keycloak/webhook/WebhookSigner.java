package uk.gov.miap.lrs.keycloak.webhook;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs webhook bodies. The receiver recomputes
 * {@code HMAC-SHA256(secret, "<X-LRS-Timestamp>.<raw body>")}, compares it in constant time with
 * {@code X-LRS-Signature} (after the {@code sha256=} prefix), and rejects stale timestamps.
 */
public final class WebhookSigner {

    public static final String HEADER_TIMESTAMP = "X-LRS-Timestamp";
    public static final String HEADER_SIGNATURE = "X-LRS-Signature";
    public static final String PREFIX = "sha256=";
    private static final String ALG = "HmacSHA256";
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final SecretKeySpec key;

    public WebhookSigner(String secret) {
        if (secret == null || secret.isEmpty()) {
            throw new IllegalArgumentException("secret is required");
        }
        this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), ALG);
    }

    /** @return {@code sha256=<lowercase hex HMAC-SHA256(secret, timestamp + "." + body)>} */
    public String sign(long unixSeconds, String body) {
        return PREFIX + hmacHex((unixSeconds + "." + body).getBytes(StandardCharsets.UTF_8));
    }

    String hmacHex(byte[] message) {
        try {
            Mac mac = Mac.getInstance(ALG);
            mac.init(key);
            return toHex(mac.doFinal(message));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HMAC-SHA256 unavailable", e);
        }
    }

    static String toHex(byte[] bytes) {
        char[] out = new char[bytes.length * 2];
        for (int i = 0; i < bytes.length; i++) {
            out[2 * i] = HEX[(bytes[i] >> 4) & 0xf];
            out[2 * i + 1] = HEX[bytes[i] & 0xf];
        }
        return new String(out);
    }
}
