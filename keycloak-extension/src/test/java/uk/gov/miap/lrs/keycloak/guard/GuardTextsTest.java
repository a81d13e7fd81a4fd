package uk.gov.miap.lrs.keycloak.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GuardTextsTest {

    @Test
    void theRefusalNamesTheUserTheActionAndTheRule() {
        String text = GuardTexts.lastSuperUser("sue.alder", "demote");
        assertTrue(text.startsWith("sue.alder is the only active super user, so they cannot be lose the super user role: "), text);
        assertTrue(text.endsWith(" (guide §3, §10.2: an organisation manages its users through its super users)"), text);
    }

    @Test
    void eachActionHasTheDomainRulesVerb() {
        assertTrue(GuardTexts.lastSuperUser("a", "suspend").contains("cannot be suspended:"));
        assertTrue(GuardTexts.lastSuperUser("a", "remove").contains("cannot be removed:"));
    }

    @Test
    void anUnknownActionIsAProgrammingError() {
        assertThrows(IllegalArgumentException.class, () -> GuardTexts.lastSuperUser("a", "disable"));
    }

    @Test
    void thePasswordRefusalCitesGuideSixPointOne() {
        assertEquals(GuardTexts.PASSWORD_MESSAGE + " (" + GuardTexts.PASSWORD_RULE + ")", GuardTexts.password());
        assertTrue(GuardTexts.password().contains("§6.1"));
    }
}
