package uk.gov.miap.lrs.keycloak.permissions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** A same-organisation policy without all three fields grants nothing (fails closed). */
class SameOrganisationConfigTest {

    private static Map<String, String> full() {
        Map<String, String> config = new HashMap<>();
        config.put("clientId", "lrs-portal");
        config.put("role", "LRBSuperUser");
        config.put("organisationsGroup", "organisations");
        return config;
    }

    @Test
    void aCompleteConfigIsRead() {
        assertEquals(
                new SameOrganisationConfig("lrs-portal", "LRBSuperUser", "organisations"),
                SameOrganisationConfig.of(full()));
    }

    @Test
    void aMissingOrBlankFieldMeansNoConfigSoThepolicyGrantsNothing() {
        for (String field : new String[] {"clientId", "role", "organisationsGroup"}) {
            Map<String, String> missing = full();
            missing.remove(field);
            assertNull(SameOrganisationConfig.of(missing), field);
            Map<String, String> blank = full();
            blank.put(field, " ");
            assertNull(SameOrganisationConfig.of(blank), field);
        }
        assertNull(SameOrganisationConfig.of(null));
    }
}
