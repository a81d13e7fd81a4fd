package uk.gov.miap.lrs.keycloak;

import jakarta.persistence.EntityManager;
import org.keycloak.models.KeycloakSession;
import org.keycloak.provider.Provider;

/** Keycloak's EntityManager for this session, for the providers that query its entities. */
public final class KeycloakJpa {

    /** The JPA provider's class, which lives in keycloak-model-jpa: not on the extension's
     * compile path (its parent POM is not served by every Maven mirror), so it is looked up by
     * name in the server, where it always is. */
    public static final String JPA_PROVIDER = "org.keycloak.connections.jpa.JpaConnectionProvider";

    private KeycloakJpa() {
    }

    @SuppressWarnings("unchecked")
    public static EntityManager entityManager(KeycloakSession session) {
        try {
            Class<? extends Provider> type =
                    (Class<? extends Provider>) Class.forName(JPA_PROVIDER, true, KeycloakJpa.class.getClassLoader());
            Object provider = session.getProvider(type);
            return (EntityManager) type.getMethod("getEntityManager").invoke(provider);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("the LRS extension needs Keycloak's JPA store (" + JPA_PROVIDER + ")", e);
        }
    }
}
