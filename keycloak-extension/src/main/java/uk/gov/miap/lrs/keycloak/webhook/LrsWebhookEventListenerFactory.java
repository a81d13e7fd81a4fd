package uk.gov.miap.lrs.keycloak.webhook;

import java.net.URI;
import java.util.List;
import org.jboss.logging.Logger;
import org.keycloak.Config;
import org.keycloak.events.Event;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.events.EventListenerProviderFactory;
import org.keycloak.events.admin.AdminEvent;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;

/**
 * Event listener {@code lrs-webhook}. Configured through SPI options (Keycloak 26.3+ syntax):
 * {@code --spi-events-listener--lrs-webhook--url=...} / {@code KC_SPI_EVENTS_LISTENER__LRS_WEBHOOK__URL}
 * and {@code --spi-events-listener--lrs-webhook--secret=...} /
 * {@code KC_SPI_EVENTS_LISTENER__LRS_WEBHOOK__SECRET}. Without both it logs once and does
 * nothing. Enable per realm by adding {@code lrs-webhook} to the realm's eventsListeners.
 */
public class LrsWebhookEventListenerFactory implements EventListenerProviderFactory {

    public static final String PROVIDER_ID = "lrs-webhook";
    public static final int QUEUE_CAPACITY = 1000;

    private static final Logger LOG = Logger.getLogger(LrsWebhookEventListenerFactory.class);

    private static final EventListenerProvider NOOP = new EventListenerProvider() {
        @Override
        public void onEvent(Event event) {
        }

        @Override
        public void onEvent(AdminEvent event, boolean includeRepresentation) {
        }

        @Override
        public void close() {
        }
    };

    private URI url;
    private String secret;
    private volatile WebhookDispatcher dispatcher;

    @Override
    public void init(Config.Scope config) {
        String rawUrl = trimToNull(config.get("url"));
        secret = trimToNull(config.get("secret"));
        if (rawUrl == null || secret == null) {
            LOG.warnf("lrs-webhook: %s not configured; the listener will do nothing. Set "
                    + "KC_SPI_EVENTS_LISTENER__LRS_WEBHOOK__URL and KC_SPI_EVENTS_LISTENER__LRS_WEBHOOK__SECRET "
                    + "(or --spi-events-listener--lrs-webhook--url / --secret).",
                    rawUrl == null && secret == null ? "url and secret" : rawUrl == null ? "url" : "secret");
            return;
        }
        try {
            URI u = URI.create(rawUrl);
            if (!"http".equalsIgnoreCase(u.getScheme()) && !"https".equalsIgnoreCase(u.getScheme())) {
                throw new IllegalArgumentException("scheme must be http or https");
            }
            url = u;
        } catch (IllegalArgumentException e) {
            LOG.warnf("lrs-webhook: invalid url '%s' (%s); the listener will do nothing", rawUrl, e.getMessage());
        }
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
        if (url == null || secret == null) {
            return;
        }
        dispatcher = new WebhookDispatcher(QUEUE_CAPACITY,
                new HttpWebhookSender(url, new WebhookSigner(secret)), 1000L, "lrs-webhook-sender").start();
        LOG.infof("lrs-webhook: delivering events to %s", url);
    }

    @Override
    public EventListenerProvider create(KeycloakSession session) {
        WebhookDispatcher d = dispatcher;
        return d == null ? NOOP : new LrsWebhookEventListener(session, d);
    }

    @Override
    public void close() {
        WebhookDispatcher d = dispatcher;
        dispatcher = null;
        if (d != null) {
            d.close();
        }
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public List<ProviderConfigProperty> getConfigMetadata() {
        return ProviderConfigurationBuilder.create()
                .property().name("url").type("string")
                .helpText("Companion app webhook URL, e.g. http://127.0.0.1:5000/hooks/keycloak").add()
                .property().name("secret").type("string").secret(true)
                .helpText("Shared secret for the X-LRS-Signature HMAC-SHA256").add()
                .build();
    }

    private static String trimToNull(String s) {
        if (s == null) {
            return null;
        }
        String t = s.trim();
        return t.isEmpty() ? null : t;
    }
}
