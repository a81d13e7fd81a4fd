package uk.gov.miap.lrs.keycloak.guard;

import jakarta.persistence.EntityManager;
import uk.gov.miap.lrs.keycloak.KeycloakJpa;
import jakarta.persistence.LockModeType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;
import org.keycloak.Config;
import org.keycloak.Token;
import org.keycloak.models.AbstractKeycloakTransaction;
import org.keycloak.models.ClientModel;
import org.keycloak.models.Constants;
import org.keycloak.models.AdminRoles;
import org.keycloak.models.GroupModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.RoleModel;
import org.keycloak.models.UserModel;
import org.keycloak.provider.Provider;
import org.keycloak.representations.JsonWebToken;
import org.keycloak.representations.idm.ErrorRepresentation;
import org.keycloak.services.ErrorResponse;

/**
 * One admin request's guard (ADR 12): the organisations it put at risk and whether it set a
 * password. Enlisted once as a prepare-phase transaction, so its check runs at commit on the
 * request's final state, and its refusal rolls the whole request back (DefaultKeycloakTransactionManager
 * commits the prepare list first and rethrows what it throws).
 */
final class GuardRequest extends AbstractKeycloakTransaction {

    private static final Logger LOG = Logger.getLogger(GuardRequest.class);
    private static final String ATTRIBUTE = GuardRequest.class.getName();

    private final KeycloakSession session;
    private final RealmModel realm;
    private final boolean delegated;
    private final Marks marks = new Marks();
    private boolean enlisted;

    private GuardRequest(KeycloakSession session, RealmModel realm, boolean delegated) {
        this.session = session;
        this.realm = realm;
        this.delegated = delegated;
    }

    /**
     * This request's guard, or null when the realm is not guarded or the caller is exempt
     * (decided once per request, on the first change the guard cares about).
     */
    static GuardRequest of(KeycloakSession session, RealmModel realm) {
        if (realm == null || realm.getEventsListenersStream().noneMatch(GuardTexts.LISTENER_ID::equals)) {
            return null;
        }
        GuardRequest existing = session.getAttribute(ATTRIBUTE, GuardRequest.class);
        if (existing == null || !existing.realm.getId().equals(realm.getId())) {
            existing = new GuardRequest(session, realm, isDelegatedAdmin(session, realm));
            session.setAttribute(ATTRIBUTE, existing);
        }
        return existing.delegated ? existing : null;
    }

    private static boolean isDelegatedAdmin(KeycloakSession session, RealmModel realm) {
        Token token = session.getContext().getBearerToken();
        String tokenRealm = token instanceof JsonWebToken jwt ? Caller.realmOfIssuer(jwt.getIssuer()) : null;
        UserModel caller = token == null ? null : session.getContext().getUser();
        boolean managesUsers = false;
        if (caller != null && realm.getName().equals(tokenRealm)) {
            ClientModel management = realm.getClientByClientId(Constants.REALM_MANAGEMENT_CLIENT_ID);
            RoleModel manageUsers = management == null ? null : management.getRole(AdminRoles.MANAGE_USERS);
            managesUsers = manageUsers != null && caller.hasRole(manageUsers);
        }
        return Caller.isDelegatedAdmin(token != null, tokenRealm, Config.getAdminRealm(), caller != null, managesUsers);
    }

    /** True when the user is enabled and holds the super user role directly. */
    static boolean isActiveSuperUser(UserModel user) {
        return user.isEnabled() && holdsSuperUser(user);
    }

    static boolean holdsSuperUser(UserModel user) {
        return user.getRoleMappingsStream().anyMatch(GuardRequest::isSuperUserRole);
    }

    static boolean isSuperUserRole(RoleModel role) {
        return role.isClientRole() && GuardTexts.SUPER_USER_ROLE.equals(role.getName());
    }

    static boolean isOrganisation(GroupModel group) {
        GroupModel parent = group.getParent();
        return parent != null && parent.getParentId() == null && GuardTexts.ORGANISATIONS_GROUP.equals(parent.getName());
    }

    /** Marks each organisation the user belongs to. */
    void markOrganisationsOf(UserModel user, String action) {
        user.getGroupsStream().filter(GuardRequest::isOrganisation).forEach(g -> mark(g, user, action));
    }

    void mark(GroupModel group, UserModel user, String action) {
        if (isOrganisation(group)) {
            marks.mark(group.getId(), user.getUsername(), action);
            enlist();
        }
    }

    void passwordSet() {
        marks.passwordSet();
        enlist();
    }

    private void enlist() {
        if (!enlisted) {
            enlisted = true;
            session.getTransactionManager().enlistPrepare(this);
        }
    }

    @Override
    protected void commitImpl() {
        session.removeAttribute(ATTRIBUTE);
        if (marks.isPasswordSet()) {
            throw refusal("credentials", GuardTexts.password());
        }
        if (marks.organisations().isEmpty()) {
            return;
        }
        EntityManager em = entityManager(session);
        em.flush();   // the count below must see this request's own changes
        for (Map.Entry<String, Marks.Mark> org : marks.organisations().entrySet()) {
            // Serialise the organisation's checks: a second request waits here until the first
            // commits, then counts what it left (ADR 12: without it, 2 of 6 races left none).
            // Entities and JPQL, not native SQL, so the database's dialect and schema apply.
            em.createQuery("SELECT g FROM GroupEntity g WHERE g.id = :group")
                    .setParameter("group", org.getKey())
                    .setLockMode(LockModeType.PESSIMISTIC_WRITE)
                    .getResultList();
            Long left = em.createQuery("SELECT COUNT(DISTINCT u.id) FROM UserEntity u,"
                            + " UserGroupMembershipEntity m, UserRoleMappingEntity r, RoleEntity k"
                            + " WHERE m.user = u AND r.user = u AND k.id = r.roleId AND m.groupId = :group"
                            + " AND u.enabled = true AND k.clientRole = true AND k.name = :role", Long.class)
                    .setParameter("group", org.getKey())
                    .setParameter("role", GuardTexts.SUPER_USER_ROLE)
                    .getSingleResult();
            if (left.longValue() == 0) {
                Marks.Mark mark = org.getValue();
                LOG.infof("lrs-guard: refused (%s %s in realm %s): organisation group %s would have no active super user",
                        mark.action(), mark.username(), realm.getName(), org.getKey());
                throw refusal("username", GuardTexts.lastSuperUser(mark.username(), mark.action()));
            }
        }
    }

    @Override
    protected void rollbackImpl() {
        session.removeAttribute(ATTRIBUTE);
    }

    private static RuntimeException refusal(String field, String message) {
        return ErrorResponse.errors(List.of(new ErrorRepresentation(field, message, null)), Response.Status.BAD_REQUEST);
    }

    static EntityManager entityManager(KeycloakSession session) {
        return KeycloakJpa.entityManager(session);
    }
}
