package uk.gov.miap.lrs.keycloak.members;

import org.keycloak.models.KeycloakSession;
import org.keycloak.services.resource.RealmResourceProvider;

/** Serves {@link OrganisationMembersResource} under {@code /realms/{realm}/lrs}. */
public class OrganisationMembersProvider implements RealmResourceProvider {

    private final KeycloakSession session;

    public OrganisationMembersProvider(KeycloakSession session) {
        this.session = session;
    }

    @Override
    public Object getResource() {
        return new OrganisationMembersResource(session);
    }

    @Override
    public void close() {
    }
}
