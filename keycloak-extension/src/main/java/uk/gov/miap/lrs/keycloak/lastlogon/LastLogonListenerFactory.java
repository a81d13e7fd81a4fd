package uk.gov.miap.lrs.keycloak.lastlogon;

import org.keycloak.Config;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.events.EventListenerProviderFactory;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;

/**
 * Event listener {@code lrs-last-logon}: enabled per realm by listing it in the realm's
 * eventsListeners (realm-config/realm.yaml `events`, applied by sync).
 */
public class LastLogonListenerFactory implements EventListenerProviderFactory {

    public static final String PROVIDER_ID = "lrs-last-logon";

    @Override
    public EventListenerProvider create(KeycloakSession session) {
        return new LastLogonListener(session);
    }

    @Override
    public void init(Config.Scope config) {
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
    }

    @Override
    public void close() {
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }
}
