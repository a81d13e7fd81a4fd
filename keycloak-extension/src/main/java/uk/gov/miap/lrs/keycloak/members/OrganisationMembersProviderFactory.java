package uk.gov.miap.lrs.keycloak.members;

import org.keycloak.Config;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.services.resource.RealmResourceProvider;
import org.keycloak.services.resource.RealmResourceProviderFactory;

/**
 * Realm resource {@code lrs}: {@code /realms/{realm}/lrs/organisations/{groupId}/members}, the
 * audit report's read of an organisation's members (docs/adr/0020). On in every realm; it answers
 * only callers the realm's admin permissions let view the group's members.
 */
public class OrganisationMembersProviderFactory implements RealmResourceProviderFactory {

    public static final String PROVIDER_ID = "lrs";

    @Override
    public RealmResourceProvider create(KeycloakSession session) {
        return new OrganisationMembersProvider(session);
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

    @Override
    public String getId() {
        return PROVIDER_ID;
    }
}
