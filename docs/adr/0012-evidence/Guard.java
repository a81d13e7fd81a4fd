package r1;

import java.util.List;
import java.util.stream.Stream;

import jakarta.persistence.EntityManager;
import jakarta.ws.rs.core.Response;
import org.keycloak.connections.jpa.JpaConnectionProvider;
import org.keycloak.models.ClientModel;
import org.keycloak.models.GroupModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.RoleModel;
import org.keycloak.models.UserModel;
import org.keycloak.services.ErrorResponse;

/** The rule under test: an organisation (a subgroup of /organisations) keeps an active LRBSuperUser. */
final class Guard {
    static final boolean LOCK = Boolean.getBoolean("r1.lock");
    static final String MSG = "Refused (guide 10.2): organisation %s would be left without an active super user.";

    static RoleModel superUser(RealmModel realm) {
        ClientModel c = realm.getClientByClientId("lrs");
        return c == null ? null : c.getRole("LRBSuperUser");
    }

    static boolean isOrg(GroupModel g) {
        return g.getParent() != null && "organisations".equals(g.getParent().getName());
    }

    static boolean activeSuperUser(UserModel u, RoleModel su) {
        return u.isEnabled() && u.hasRole(su);
    }

    /** Refuses (400) if some organisation in orgs has no active super user other than excludedId. */
    static void check(KeycloakSession s, RealmModel realm, String excludedId, Stream<GroupModel> orgs) {
        RoleModel su = superUser(realm);
        if (su == null) return;
        for (GroupModel g : orgs.filter(Guard::isOrg).toList()) {
            if (LOCK) {   // serialise the check per organisation, then count committed rows
                EntityManager em = s.getProvider(JpaConnectionProvider.class).getEntityManager();
                em.createNativeQuery("SELECT ID FROM KEYCLOAK_GROUP WHERE ID = ? FOR UPDATE").setParameter(1, g.getId()).getResultList();
                Number n = (Number) em.createNativeQuery("SELECT COUNT(*) FROM USER_ENTITY u"
                        + " JOIN USER_GROUP_MEMBERSHIP m ON m.USER_ID = u.ID JOIN USER_ROLE_MAPPING r ON r.USER_ID = u.ID"
                        + " WHERE m.GROUP_ID = ? AND r.ROLE_ID = ? AND u.ENABLED = TRUE AND u.ID <> ?")
                        .setParameter(1, g.getId()).setParameter(2, su.getId())
                        .setParameter(3, excludedId == null ? "" : excludedId).getSingleResult();
                if (n.longValue() == 0) throw ErrorResponse.error(String.format(MSG, g.getName()), Response.Status.BAD_REQUEST);
                continue;
            }
            List<UserModel> members = s.users().getGroupMembersStream(realm, g).toList();
            if (members.stream().noneMatch(u -> !u.getId().equals(excludedId) && activeSuperUser(u, su))) {
                throw ErrorResponse.error(String.format(MSG, g.getName()), Response.Status.BAD_REQUEST);
            }
        }
    }

    static Stream<GroupModel> allOrgs(KeycloakSession s, RealmModel realm) {
        return s.groups().getTopLevelGroupsStream(realm).filter(g -> "organisations".equals(g.getName()))
                .flatMap(GroupModel::getSubGroupsStream);
    }

    static boolean on(RealmModel realm, String listenerId) {
        return realm != null && realm.getEventsListenersStream().anyMatch(listenerId::equals);
    }
}
