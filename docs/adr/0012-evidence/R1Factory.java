package r1;

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
 * r1-provider-events: a ProviderEventListener (registered in postInit) that throws a 400 from
 * UserPreRemovedEvent, RoleRevokedEvent and GroupMemberLeaveEvent. r1-throw / r1-prepare: admin
 * event listeners (see R1Listener). Each is active only in realms listing its id as an event listener.
 */
public class R1Factory implements EventListenerProviderFactory {
    private final String id;
    private final int mode;

    public R1Factory() { this("r1-provider-events", 0); }
    R1Factory(String id, int mode) { this.id = id; this.mode = mode; }

    public static class Throw extends R1Factory { public Throw() { super("r1-throw", 1); } }
    public static class Prepare extends R1Factory { public Prepare() { super("r1-prepare", 2); } }

    @Override public EventListenerProvider create(KeycloakSession session) { return new R1Listener(session, mode); }
    @Override public void init(Config.Scope config) { }
    @Override public void close() { }
    @Override public String getId() { return id; }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
        if (mode == 0) factory.register(R1Factory::onProviderEvent);
    }

    static void onProviderEvent(ProviderEvent event) {
        if (event instanceof UserModel.UserPreRemovedEvent e && Guard.on(e.getRealm(), "r1-provider-events")) {
            RoleModel su = Guard.superUser(e.getRealm());
            if (su != null && Guard.activeSuperUser(e.getUser(), su)) {
                Guard.check(e.getKeycloakSession(), e.getRealm(), e.getUser().getId(), e.getUser().getGroupsStream());
            }
        } else if (event instanceof RoleModel.RoleRevokedEvent e && Guard.on(e.getRealm(), "r1-provider-events")) {
            RoleModel su = Guard.superUser(e.getRealm());
            if (su != null && su.getId().equals(e.getRole().getId()) && e.getUser().isEnabled()) {
                Guard.check(e.getKeycloakSession(), e.getRealm(), e.getUser().getId(), e.getUser().getGroupsStream());
            }
        } else if (event instanceof GroupModel.GroupMemberLeaveEvent e && Guard.on(e.getRealm(), "r1-provider-events")) {
            RoleModel su = Guard.superUser(e.getRealm());
            if (su != null && Guard.activeSuperUser(e.getUser(), su)) {
                Guard.check(e.getKeycloakSession(), e.getRealm(), e.getUser().getId(), java.util.stream.Stream.of(e.getGroup()));
            }
        }
    }
}
