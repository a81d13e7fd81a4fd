package uk.gov.miap.lrs.keycloak.webhook;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** POSTs a signed JSON body with java.net.http (connect timeout 2 s, request timeout 5 s). */
public final class HttpWebhookSender implements WebhookDispatcher.Sender {

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

    private final URI uri;
    private final WebhookSigner signer;
    private final HttpClient client;

    public HttpWebhookSender(URI uri, WebhookSigner signer) {
        this.uri = uri;
        this.signer = signer;
        this.client = HttpClient.newBuilder()
                .connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    @Override
    public void send(String body) throws IOException, InterruptedException {
        long ts = System.currentTimeMillis() / 1000L; // signed at send time, so retries are fresh
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/json")
                .header(WebhookSigner.HEADER_TIMESTAMP, Long.toString(ts))
                .header(WebhookSigner.HEADER_SIGNATURE, signer.sign(ts, body))
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                .build();
        HttpResponse<Void> response = client.send(request, HttpResponse.BodyHandlers.discarding());
        int status = response.statusCode();
        if (status < 200 || status >= 300) {
            throw new IOException("HTTP " + status + " from " + uri);
        }
    }
}
