package uk.gov.miap.lrs.keycloak.permissions;

import org.keycloak.Config;
import org.keycloak.authorization.AuthorizationProvider;
import org.keycloak.authorization.model.Policy;
import org.keycloak.authorization.policy.provider.PolicyProvider;
import org.keycloak.authorization.policy.provider.PolicyProviderFactory;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.representations.idm.authorization.PolicyRepresentation;

/**
 * Policy type {@value #ID}: the calling admin is a super user of an organisation the target user
 * belongs to (docs/adr/0005, "Since": map-roles on all users with this policy). Sync creates the
 * one policy of this type with its configuration (the client, role and parent group names come
 * from the Python policy, so they are declared once).
 *
 * <p>Fails closed: without this provider the policy's type is unknown, and Keycloak grants nothing
 * through a permission that names it.
 */
public class SameOrganisationPolicyProviderFactory
        implements PolicyProviderFactory<PolicyRepresentation> {

    public static final String ID = "lrs-same-organisation";

    private final SameOrganisationPolicyProvider provider = new SameOrganisationPolicyProvider();

    @Override
    public String getId() {
        return ID;
    }

    @Override
    public String getName() {
        return "LRS: super user of the target user's organisation";
    }

    @Override
    public String getGroup() {
        return "Identity Based";
    }

    @Override
    public PolicyProvider create(AuthorizationProvider authorization) {
        return provider;
    }

    @Override
    public PolicyProvider create(KeycloakSession session) {
        return provider;
    }

    @Override
    public PolicyRepresentation toRepresentation(Policy policy, AuthorizationProvider authorization) {
        PolicyRepresentation representation = new PolicyRepresentation();
        representation.setConfig(policy.getConfig());
        return representation;
    }

    @Override
    public Class<PolicyRepresentation> getRepresentationType() {
        return PolicyRepresentation.class;
    }

    @Override
    public void onCreate(Policy policy, PolicyRepresentation representation, AuthorizationProvider authorization) {
        policy.setConfig(SameOrganisationConfig.validated(representation.getConfig()));
    }

    @Override
    public void onUpdate(Policy policy, PolicyRepresentation representation, AuthorizationProvider authorization) {
        policy.setConfig(SameOrganisationConfig.validated(representation.getConfig()));
    }

    @Override
    public void onImport(Policy policy, PolicyRepresentation representation, AuthorizationProvider authorization) {
        policy.setConfig(SameOrganisationConfig.validated(representation.getConfig()));
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
}
