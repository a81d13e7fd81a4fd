package uk.gov.miap.lrs.keycloak.agreement;

import org.keycloak.Config;
import org.keycloak.authentication.RequiredActionFactory;
import org.keycloak.authentication.RequiredActionProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;

public class LrsUserAgreementActionFactory implements RequiredActionFactory {

    public static final String PROVIDER_ID = "lrs-user-agreement";
    private static final LrsUserAgreementAction INSTANCE = new LrsUserAgreementAction();

    @Override
    public RequiredActionProvider create(KeycloakSession session) {
        return INSTANCE; // stateless
    }

    @Override
    public String getDisplayText() {
        return "LRS User Agreement";
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
