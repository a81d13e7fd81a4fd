package uk.gov.miap.lrs.keycloak.guard;

import org.keycloak.Config;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.events.EventListenerProviderFactory;
import org.keycloak.models.GroupModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RoleModel;
import org.keycloak.models.UserModel;
import org.keycloak.provider.ProviderEvent;

/**
 * Event listener {@code lrs-guard} (ADR 12): refuses, inside the admin request, a delegated
 * admin's change that would leave an organisation without an active super user, and a password
 * set by a delegated admin (guide §6.1). Active only in realms that list {@code lrs-guard} among
 * their event listeners (sync sets it from realm.yaml).
 *
 * <p>Model events (published with no catch, inside the model call) mark deletes, demotions and
 * group leaves; the admin event marks disables and passwords (no model event exists for them).
 * Nothing is refused from an event: {@link GuardRequest} checks the final state at commit.
 */
public class LrsGuardEventListenerFactory implements EventListenerProviderFactory {

    @Override
    public EventListenerProvider create(KeycloakSession session) {
        return new LrsGuardEventListener(session);
    }

    @Override
    public void init(Config.Scope config) {
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
        factory.register(LrsGuardEventListenerFactory::onProviderEvent);
    }

    static void onProviderEvent(ProviderEvent event) {
        if (event instanceof UserModel.UserPreRemovedEvent e) {
            // Read now: the user's memberships are gone by commit.
            GuardRequest guard = GuardRequest.of(e.getKeycloakSession(), e.getRealm());
            if (guard != null && GuardRequest.isActiveSuperUser(e.getUser())) {
                guard.markOrganisationsOf(e.getUser(), "remove");
            }
        } else if (event instanceof RoleModel.RoleRevokedEvent e && GuardRequest.isSuperUserRole(e.getRole())) {
            GuardRequest guard = GuardRequest.of(e.getKeycloakSession(), e.getRealm());
            if (guard != null && e.getUser().isEnabled()) {
                guard.markOrganisationsOf(e.getUser(), "demote");
            }
        } else if (event instanceof GroupModel.GroupMemberLeaveEvent e && GuardRequest.isOrganisation(e.getGroup())) {
            GuardRequest guard = GuardRequest.of(e.getKeycloakSession(), e.getRealm());
            if (guard != null && GuardRequest.isActiveSuperUser(e.getUser())) {
                guard.mark(e.getGroup(), e.getUser(), "remove");
            }
        }
    }

    @Override
    public void close() {
    }

    @Override
    public String getId() {
        return GuardTexts.LISTENER_ID;
    }
}
