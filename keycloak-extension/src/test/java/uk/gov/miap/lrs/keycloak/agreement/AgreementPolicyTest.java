package uk.gov.miap.lrs.keycloak.agreement;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AgreementPolicyTest {

    private static Agreement every(String version) {
        return new Agreement(version, "T", "text", null);
    }

    private static Agreement newOnly(String version) {
        return new Agreement(version, "T", "text", "new-version-only");
    }

    @Test
    void nothingPublishedNeverTriggers() {
        assertFalse(AgreementPolicy.shouldTrigger(every(null), null, false, false));
        assertFalse(AgreementPolicy.shouldTrigger(newOnly(null), null, false, false));
        assertFalse(AgreementPolicy.shouldTrigger(null, null, false, false));
    }

    @Test
    void everyLogonAlwaysTriggersOnInteractiveLogon() {
        assertTrue(AgreementPolicy.shouldTrigger(every("2"), null, false, false));
        assertTrue(AgreementPolicy.shouldTrigger(every("2"), "1", false, false));
        assertTrue(AgreementPolicy.shouldTrigger(every("2"), "2", false, false));
    }

    @Test
    void everyLogonSsoReauthOnlyWhenCurrentVersionNotAccepted() {
        assertFalse(AgreementPolicy.shouldTrigger(every("2"), "2", true, false));
        assertTrue(AgreementPolicy.shouldTrigger(every("2"), "1", true, false));
        assertTrue(AgreementPolicy.shouldTrigger(every("2"), null, true, false));
    }

    @Test
    void notAgainAfterAcceptingInTheSameAuthentication() {
        assertFalse(AgreementPolicy.shouldTrigger(every("2"), "2", false, true));
        assertFalse(AgreementPolicy.shouldTrigger(newOnly("2"), "2", false, true));
    }

    @Test
    void newVersionOnly() {
        assertTrue(AgreementPolicy.shouldTrigger(newOnly("2"), null, false, false));
        assertTrue(AgreementPolicy.shouldTrigger(newOnly("2"), "1", false, false));
        assertFalse(AgreementPolicy.shouldTrigger(newOnly("2"), "2", false, false));
        assertFalse(AgreementPolicy.shouldTrigger(newOnly("2"), " 2 ", false, false));
        assertFalse(AgreementPolicy.shouldTrigger(newOnly("2"), "2", true, false));
        assertTrue(AgreementPolicy.shouldTrigger(newOnly("3"), "2", true, false));
    }
}
