package uk.gov.miap.lrs.keycloak.webhook;

import org.jboss.logging.Logger;
import org.keycloak.events.Event;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.events.admin.AdminEvent;
import org.keycloak.models.AbstractKeycloakTransaction;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakTransactionManager;

/**
 * Forwards selected login events and all admin events to the companion app. onEvent only builds
 * the JSON and hands it to the {@link WebhookDispatcher} queue; it never does I/O and never
 * throws.
 *
 * <p>Hand-off happens after the Keycloak transaction completes (enlistAfterCompletion): on commit
 * the event is queued; on rollback only error events are queued (a failed logon really happened
 * even if the request's transaction was rolled back, whereas a rolled-back admin change did not).
 * If there is no active transaction the event is queued at once.
 */
public class LrsWebhookEventListener implements EventListenerProvider {

    private static final Logger LOG = Logger.getLogger(LrsWebhookEventListener.class);

    private final KeycloakSession session;
    private final WebhookDispatcher dispatcher;

    public LrsWebhookEventListener(KeycloakSession session, WebhookDispatcher dispatcher) {
        this.session = session;
        this.dispatcher = dispatcher;
    }

    @Override
    public void onEvent(Event event) {
        try {
            if (!WebhookPayloads.isForwarded(event.getType())) {
                return;
            }
            handOff(WebhookPayloads.loginEventJson(event), event.getError() != null);
        } catch (RuntimeException e) {
            LOG.warnf("lrs-webhook: could not queue login event: %s", e.toString());
        }
    }

    /**
     * All admin events are forwarded, with Keycloak's representation whenever it is present (the
     * companion app needs it to follow changes), whatever the realm's "include representation"
     * setting, which governs what Keycloak stores, not what this listener forwards.
     */
    @Override
    public void onEvent(AdminEvent event, boolean includeRepresentation) {
        try {
            handOff(WebhookPayloads.adminEventJson(event), event.getError() != null);
        } catch (RuntimeException e) {
            LOG.warnf("lrs-webhook: could not queue admin event: %s", e.toString());
        }
    }

    private void handOff(String body, boolean isError) {
        KeycloakTransactionManager tm = session == null ? null : session.getTransactionManager();
        if (tm != null && tm.isActive()) {
            try {
                tm.enlistAfterCompletion(new AbstractKeycloakTransaction() {
                    @Override
                    protected void commitImpl() {
                        dispatcher.enqueue(body);
                    }

                    @Override
                    protected void rollbackImpl() {
                        if (isError) {
                            dispatcher.enqueue(body);
                        }
                    }
                });
                return;
            } catch (RuntimeException e) {
                // e.g. the transaction is already completing: fall through and queue now
                LOG.debugf("lrs-webhook: cannot enlist after completion (%s); queueing now", e.toString());
            }
        }
        dispatcher.enqueue(body);
    }

    @Override
    public void close() {
    }
}
