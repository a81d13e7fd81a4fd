package uk.gov.miap.lrs.keycloak.members;

import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.persistence.EntityManager;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.TreeMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.HashSet;
import org.keycloak.models.ClientModel;
import org.keycloak.models.GroupModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.representations.userprofile.config.UPAttribute;
import org.keycloak.representations.userprofile.config.UPAttributePermissions;
import org.keycloak.representations.userprofile.config.UPConfig;
import org.keycloak.services.resources.admin.AdminAuth;
import org.keycloak.services.resources.admin.AdminRoot;
import org.keycloak.services.resources.admin.fgap.AdminPermissions;
import org.keycloak.userprofile.UserProfileProvider;
import uk.gov.miap.lrs.keycloak.KeycloakJpa;
import uk.gov.miap.lrs.keycloak.guard.GuardTexts;

/**
 * {@code GET /realms/{realm}/lrs/organisations/{groupId}/members?first=&max=&client=&attribute=…}:
 * one page of an organisation's members, each with the brief fields, the named attributes and
 * their direct roles of {@code client}, in one request (docs/adr/0020). Keycloak's admin REST has
 * no bulk read of users' roles, and its full member representation builds each user's whole user
 * profile; the companion app's audit report needs neither.
 *
 * <p>Read-only. The caller is authenticated as for the admin API (a bearer token from any realm
 * Keycloak's admin API accepts: 401 otherwise) and must be allowed to view the group's members by
 * the realm's admin permissions, exactly as {@code GET /admin/realms/{realm}/groups/{id}/members}
 * asks (403 otherwise). Attributes the realm's user profile hides from administrators are left out.
 */
public class OrganisationMembersResource {

    private final KeycloakSession session;

    public OrganisationMembersResource(KeycloakSession session) {
        this.session = session;
    }

    @GET
    @Path("organisations/{groupId}/members")
    @Produces(MediaType.APPLICATION_JSON)
    public List<Map<String, Object>> members(
            @PathParam("groupId") String groupId,
            @QueryParam("first") Integer first,
            @QueryParam("max") Integer max,
            @QueryParam("client") String clientId,
            @QueryParam("attribute") List<String> attributes) {
        RealmModel realm = session.getContext().getRealm();
        // Authenticates from the token's own realm (a master admin's, a service account's) and
        // leaves that realm in the context: put the realm asked about back before reading it.
        AdminAuth auth = AdminRoot.authenticateRealmAdminRequest(session);
        session.getContext().setRealm(realm);

        GroupModel group = realm.getGroupById(groupId);
        GroupModel parent = group == null ? null : group.getParent();
        boolean organisation = parent != null && parent.getParentId() == null
                && GuardTexts.ORGANISATIONS_GROUP.equals(parent.getName());
        // The permission is asked before anything else is said of the group, so a caller who may
        // not view it learns nothing (not even whether it exists) from a 404 against a 403.
        if (group != null) {
            AdminPermissions.evaluator(session, realm, auth).groups().requireViewMembers(group);
        } else {
            AdminPermissions.evaluator(session, realm, auth).users().requireView();
        }
        if (!organisation) {
            throw new NotFoundException("no organisation group with id " + groupId);
        }
        MemberPage page;
        try {
            page = MemberPage.of(first, max, clientId, attributes);
        } catch (MemberPage.Refusal refusal) {
            throw new BadRequestException(Response.status(Response.Status.BAD_REQUEST)
                    .type(MediaType.APPLICATION_JSON)
                    .entity(Map.of("error", "invalid_parameter", "field", refusal.field(),
                            "errorMessage", refusal.getMessage()))
                    .build());
        }
        ClientModel client = realm.getClientByClientId(page.clientId());
        if (client == null) {
            throw new NotFoundException("no client " + page.clientId());
        }
        List<String> visible = visibleAttributes(page);
        List<UserModel> users = session.users()
                .getGroupMembersStream(realm, group, page.first(), page.max())
                .toList();
        if (users.isEmpty()) {
            return List.of();
        }
        List<String> ids = users.stream().map(UserModel::getId).toList();
        // The page's attributes and role mappings in one query each: through the user model they
        // are two lazy loads per user (measured: 0.33x the brief listing's users/s at 20,000
        // users, where the user cache no longer holds them all).
        EntityManager em = KeycloakJpa.entityManager(session);
        Map<String, Map<String, List<String>>> found = new HashMap<>();
        if (!visible.isEmpty()) {
            List<Object[]> rows = em.createQuery("SELECT a.user.id, a.name, a.value, a.longValue"
                            + " FROM UserAttributeEntity a WHERE a.user.id IN :ids AND a.name IN :names",
                            Object[].class)
                    .setParameter("ids", ids)
                    .setParameter("names", visible)
                    .getResultList();
            for (Object[] row : rows) {
                String value = row[2] != null ? (String) row[2] : (String) row[3];
                found.computeIfAbsent((String) row[0], k -> new TreeMap<>())
                        .computeIfAbsent((String) row[1], k -> new ArrayList<>())
                        .add(value);
            }
        }
        Map<String, List<String>> roles = new HashMap<>();
        List<Object[]> mappings = em.createQuery("SELECT r.user.id, k.name FROM UserRoleMappingEntity r,"
                        + " RoleEntity k WHERE k.id = r.roleId AND r.user.id IN :ids AND k.clientRole = true"
                        + " AND k.clientId = :client ORDER BY k.name", Object[].class)
                .setParameter("ids", ids)
                .setParameter("client", client.getId())
                .getResultList();
        for (Object[] row : mappings) {
            roles.computeIfAbsent((String) row[0], k -> new ArrayList<>()).add((String) row[1]);
        }
        return users.stream()
                .map(user -> member(user, found.getOrDefault(user.getId(), Map.of()),
                        roles.getOrDefault(user.getId(), List.of())))
                .toList();
    }

    private List<String> visibleAttributes(MemberPage page) {
        UPConfig config = session.getProvider(UserProfileProvider.class).getConfiguration();
        Map<String, Set<String>> permissions = new HashMap<>();
        for (UPAttribute attribute : config.getAttributes()) {
            UPAttributePermissions granted = attribute.getPermissions();
            Set<String> roles = new HashSet<>();
            if (granted != null) {
                roles.addAll(granted.getView() == null ? Set.of() : granted.getView());
                roles.addAll(granted.getEdit() == null ? Set.of() : granted.getEdit());
            }
            permissions.put(attribute.getName(), roles);
        }
        return page.visibleAttributes(permissions, config.getUnmanagedAttributePolicy() != null);
    }

    /** The fields of Keycloak's brief representation, the wanted attributes and client roles. */
    private static Map<String, Object> member(
            UserModel user, Map<String, List<String>> attributes, List<String> clientRoles) {
        Map<String, Object> rep = new LinkedHashMap<>();
        rep.put("id", user.getId());
        rep.put("username", user.getUsername());
        rep.put("firstName", user.getFirstName());
        rep.put("lastName", user.getLastName());
        rep.put("email", user.getEmail());
        rep.put("enabled", user.isEnabled());
        rep.put("createdTimestamp", user.getCreatedTimestamp());
        rep.put("attributes", attributes);
        rep.put("clientRoles", clientRoles);
        return rep;
    }
}
