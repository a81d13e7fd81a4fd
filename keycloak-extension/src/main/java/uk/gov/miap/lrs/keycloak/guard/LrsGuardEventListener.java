package uk.gov.miap.lrs.keycloak.guard;

import org.keycloak.common.util.Time;
import org.keycloak.credential.CredentialModel;
import org.keycloak.events.Event;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.events.admin.AdminEvent;
import org.keycloak.events.admin.OperationType;
import org.keycloak.events.admin.ResourceType;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.credential.PasswordCredentialModel;

/**
 * The admin-event half of the guard: a disable (no model event exists for it) and a password
 * set through {@code reset-password} or a create/update body's {@code credentials}. Called
 * synchronously before the request commits (AdminEventBuilder.send), so what it enlists still
 * runs; an exception thrown here would be logged and swallowed by Keycloak.
 */
final class LrsGuardEventListener implements EventListenerProvider {

    private final KeycloakSession session;
    /** When Keycloak routed the request to the realm (see Marks.setByThisRequest). */
    private final long requestStarted = Time.currentTimeMillis();

    LrsGuardEventListener(KeycloakSession session) {
        this.session = session;
    }

    @Override
    public void onEvent(Event event) {
    }

    @Override
    public void onEvent(AdminEvent event, boolean includeRepresentation) {
        if (event.getResourceType() != ResourceType.USER || event.getError() != null) {
            return;
        }
        String[] path = (event.getResourcePath() == null ? "" : event.getResourcePath()).split("/");
        if (path.length < 2 || !"users".equals(path[0])) {
            return;
        }
        OperationType op = event.getOperationType();
        boolean resetPassword = op == OperationType.ACTION && path.length == 3 && "reset-password".equals(path[2]);
        boolean createOrUpdate = path.length == 2 && (op == OperationType.CREATE || op == OperationType.UPDATE);
        if (!resetPassword && !createOrUpdate) {
            return;
        }
        RealmModel realm = session.realms().getRealm(event.getRealmId());
        GuardRequest guard = GuardRequest.of(session, realm);
        if (guard == null) {
            return;
        }
        if (resetPassword) {
            guard.passwordSet();
            return;
        }
        UserModel user = session.users().getUserById(realm, path[1]);
        if (user == null) {
            return;
        }
        if (passwordSetNow(user, requestStarted, op == OperationType.CREATE)) {
            guard.passwordSet();
        }
        if (op == OperationType.UPDATE && !user.isEnabled() && GuardRequest.holdsSuperUser(user)) {
            guard.markOrganisationsOf(user, "suspend");
        }
    }

    private static boolean passwordSetNow(UserModel user, long requestStarted, boolean created) {
        return user.credentialManager().getStoredCredentialsByTypeStream(PasswordCredentialModel.TYPE)
                .map(CredentialModel::getCreatedDate)
                .anyMatch(date -> created || Marks.setByThisRequest(date, requestStarted));
    }

    @Override
    public void close() {
    }
}
