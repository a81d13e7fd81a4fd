package uk.gov.miap.lrs.keycloak.permissions;

import java.util.Set;
import java.util.stream.Collectors;

import org.keycloak.authorization.identity.Identity;
import org.keycloak.authorization.model.Resource;
import org.keycloak.authorization.permission.ResourcePermission;
import org.keycloak.authorization.policy.evaluation.Evaluation;
import org.keycloak.authorization.policy.provider.PolicyProvider;
import org.keycloak.models.ClientModel;
import org.keycloak.models.GroupModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.RoleModel;
import org.keycloak.models.UserModel;

/**
 * Grants when the caller holds the super-user client role and shares an organisation group (a
 * direct child of the organisations group) with the target user.
 *
 * <p>Keycloak 26.7.3's FGAP v2 evaluates a Users permission for one user with a resource named by
 * the user's id, even when no resource exists for that user ({@code FineGrainedAdminPermissionEvaluator
 * .hasPermission} wraps the id in a {@code ResourceWrapper}); that is what makes the target
 * visible here. Anything that is not a user of this realm (the type-wide "Users" resource, checked
 * for realm-wide questions) is denied, so the policy never opens a listing.
 */
public class SameOrganisationPolicyProvider implements PolicyProvider {

    @Override
    public void evaluate(Evaluation evaluation) {
        if (grants(evaluation)) {
            evaluation.grant();
        } else {
            evaluation.deny();
        }
    }

    private static boolean grants(Evaluation evaluation) {
        SameOrganisationConfig config = SameOrganisationConfig.of(evaluation.getPolicy().getConfig());
        ResourcePermission permission = evaluation.getPermission();
        Identity identity = evaluation.getContext().getIdentity();
        if (config == null || permission == null || identity == null) {
            return false;
        }
        Resource resource = permission.getResource();
        if (resource == null) {
            return false;
        }
        KeycloakSession session = evaluation.getAuthorizationProvider().getKeycloakSession();
        RealmModel realm = evaluation.getAuthorizationProvider().getRealm();
        UserModel caller = session.users().getUserById(realm, identity.getId());
        UserModel target = session.users().getUserById(realm, resource.getName());
        if (caller == null || target == null || !caller.isEnabled()) {
            return false;
        }
        ClientModel client = realm.getClientByClientId(config.clientId());
        RoleModel role = client == null ? null : client.getRole(config.role());
        if (role == null || !caller.hasRole(role)) {
            return false;
        }
        Set<String> callerOrganisations = organisations(caller, config);
        if (callerOrganisations.isEmpty()) {
            return false;
        }
        return target.getGroupsStream()
                .filter(g -> isOrganisation(g, config))
                .anyMatch(g -> callerOrganisations.contains(g.getId()));
    }

    private static Set<String> organisations(UserModel user, SameOrganisationConfig config) {
        return user.getGroupsStream()
                .filter(g -> isOrganisation(g, config))
                .map(GroupModel::getId)
                .collect(Collectors.toSet());
    }

    /** A direct child of the top-level organisations group (never a deeper or look-alike one). */
    private static boolean isOrganisation(GroupModel group, SameOrganisationConfig config) {
        GroupModel parent = group.getParent();
        return parent != null && parent.getParent() == null
                && config.organisationsGroup().equals(parent.getName());
    }

    @Override
    public void close() {
    }
}
