package uk.gov.miap.lrs.keycloak.lastlogon;

import org.jboss.logging.Logger;
import org.keycloak.events.Event;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.events.EventType;
import org.keycloak.events.admin.AdminEvent;
import org.keycloak.models.AbstractKeycloakTransaction;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.KeycloakTransactionManager;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.utils.KeycloakModelUtils;

/**
 * Records each successful logon on the user, as attribute {@value #ATTRIBUTE} (epoch ms), so that
 * the periodic audit of the user community (guide §8) reads it from the user instead of from
 * stored login events, which are realm-wide, expire and are too many to scan on a national realm.
 *
 * <p>It must never fail or slow a logon's own transaction: the write runs after the logon's
 * transaction has committed, in a transaction of its own, and any failure is only logged.
 */
public class LastLogonListener implements EventListenerProvider {

    /** Shared with the companion app: lrs_keycloak/keycloak/names.py LAST_LOGON. */
    public static final String ATTRIBUTE = "lrsLastLogon";

    private static final Logger LOG = Logger.getLogger(LastLogonListener.class);

    private final KeycloakSession session;

    public LastLogonListener(KeycloakSession session) {
        this.session = session;
    }

    /** Only a successful logon counts; failed ones are the lockout counter's business. */
    static boolean counts(Event event) {
        return event.getType() == EventType.LOGIN && event.getError() == null
                && event.getUserId() != null && event.getRealmId() != null;
    }

    @Override
    public void onEvent(Event event) {
        if (!counts(event)) {
            return;
        }
        String realmId = event.getRealmId();
        String userId = event.getUserId();
        String when = Long.toString(event.getTime());
        KeycloakSessionFactory factory = session.getKeycloakSessionFactory();
        Runnable record = () -> {
            try {
                KeycloakModelUtils.runJobInTransaction(factory, s -> write(s, realmId, userId, when));
            } catch (RuntimeException e) {
                LOG.warnf("lrs-last-logon: could not record the logon of user %s: %s", userId, e.toString());
            }
        };
        KeycloakTransactionManager tm = session.getTransactionManager();
        if (tm != null && tm.isActive()) {
            tm.enlistAfterCompletion(new AbstractKeycloakTransaction() {
                @Override
                protected void commitImpl() {
                    record.run();
                }

                @Override
                protected void rollbackImpl() {
                    // the logon did not complete: nothing to record
                }
            });
        } else {
            record.run();
        }
    }

    private static void write(KeycloakSession s, String realmId, String userId, String when) {
        RealmModel realm = s.realms().getRealm(realmId);
        if (realm == null) {
            return;
        }
        s.getContext().setRealm(realm); // the user store refuses a session bound to no realm
        UserModel user = s.users().getUserById(realm, userId);
        if (user != null) {
            user.setSingleAttribute(ATTRIBUTE, when);
        }
    }

    @Override
    public void onEvent(AdminEvent event, boolean includeRepresentation) {
        // admin changes are not logons
    }

    @Override
    public void close() {
    }
}
