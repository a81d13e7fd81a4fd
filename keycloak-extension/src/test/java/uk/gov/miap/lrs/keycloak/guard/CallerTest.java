package uk.gov.miap.lrs.keycloak.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CallerTest {

    @Test
    void aSuperUserOfTheRealmIsADelegatedAdmin() {
        assertTrue(Caller.isDelegatedAdmin(true, "lrs", "master", true, false));
    }

    @Test
    void aRealmAdminWithManageUsersIsExempt() {
        assertFalse(Caller.isDelegatedAdmin(true, "lrs", "master", true, true));
    }

    @Test
    void aMasterRealmAdminIsExempt() {
        // The companion app, its help desk recovery and operators call as master-realm admins.
        assertFalse(Caller.isDelegatedAdmin(true, "master", "master", true, false));
    }

    @Test
    void noBearerTokenIsNotAnAdminRequest() {
        assertFalse(Caller.isDelegatedAdmin(false, null, "master", false, false));
        assertFalse(Caller.isDelegatedAdmin(true, "lrs", "master", false, false));
    }

    @Test
    void theTokensRealmIsTheLastSegmentOfItsIssuer() {
        assertEquals("lrs-it-1", Caller.realmOfIssuer("http://127.0.0.1:8080/realms/lrs-it-1"));
        assertEquals("a b", Caller.realmOfIssuer("http://h/realms/a%20b"));
        assertNull(Caller.realmOfIssuer(null));
    }
}
