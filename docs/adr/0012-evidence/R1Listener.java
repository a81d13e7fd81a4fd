package r1;

import org.keycloak.events.Event;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.events.admin.AdminEvent;
import org.keycloak.events.admin.OperationType;
import org.keycloak.events.admin.ResourceType;
import org.keycloak.models.AbstractKeycloakTransaction;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.RoleModel;
import org.keycloak.models.UserModel;

/**
 * mode 1 (r1-throw): throws the 400 straight from onEvent(AdminEvent) on a user UPDATE that left a
 * super user disabled. mode 2 (r1-prepare): on user UPDATE/DELETE, CLIENT_ROLE_MAPPING DELETE and
 * GROUP_MEMBERSHIP DELETE, enlists a prepare-phase transaction that throws the 400 at commit if any
 * organisation is left without an active super user.
 */
class R1Listener implements EventListenerProvider {
    private final KeycloakSession session;
    private final int mode;

    R1Listener(KeycloakSession session, int mode) { this.session = session; this.mode = mode; }

    @Override public void onEvent(Event event) { }
    @Override public void close() { }

    @Override
    public void onEvent(AdminEvent event, boolean includeRepresentation) {
        RealmModel realm = session.realms().getRealm(event.getRealmId());
        String path = event.getResourcePath() == null ? "" : event.getResourcePath();
        if (mode == 1 && event.getResourceType() == ResourceType.USER && event.getOperationType() == OperationType.UPDATE) {
            UserModel user = session.users().getUserById(realm, path.split("/")[1]);
            RoleModel su = Guard.superUser(realm);
            if (user != null && su != null && !user.isEnabled() && user.hasRole(su)) {
                Guard.check(session, realm, user.getId(), user.getGroupsStream());   // throws; Keycloak catches it
            }
        }
        boolean relevant = (event.getResourceType() == ResourceType.USER
                        && (event.getOperationType() == OperationType.UPDATE || event.getOperationType() == OperationType.DELETE))
                || (event.getOperationType() == OperationType.DELETE
                        && (event.getResourceType() == ResourceType.CLIENT_ROLE_MAPPING
                            || event.getResourceType() == ResourceType.GROUP_MEMBERSHIP));
        if (mode == 2 && relevant) {
            session.getTransactionManager().enlistPrepare(new AbstractKeycloakTransaction() {
                @Override protected void commitImpl() { Guard.check(session, realm, null, Guard.allOrgs(session, realm)); }
                @Override protected void rollbackImpl() { }
            });
        }
    }
}
