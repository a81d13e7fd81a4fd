package uk.gov.miap.lrs.keycloak.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.keycloak.validate.ValidatorConfig;

/**
 * The Java rules decide the table of cases shared with pytest
 * (tests/unit/domain/test_keycloak_names.py checks Python against the same table), with the
 * configuration sync writes from realm-config/ (validator-config.json, kept in step by pytest).
 */
class PersonNameRulesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode resource(String name) throws IOException {
        try (InputStream in = PersonNameRulesTest.class.getResourceAsStream(name)) {
            return JSON.readTree(in);
        }
    }

    @SuppressWarnings("unchecked")
    private static ValidatorConfig config(String attribute) throws IOException {
        return new ValidatorConfig(JSON.convertValue(resource("validator-config.json").get(attribute), Map.class));
    }

    @Test
    void javaDecidesTheSharedNameCasesAsPythonDoes() throws IOException {
        PersonNameRules rules = PersonNameValidator.rules(config("firstName"));
        int maxUsername = config("username").getInt("max-length");
        List<String> disagreements = new ArrayList<>();
        for (JsonNode c : resource("person-name-cases.json")) {
            String given = c.get("given").asText();
            String family = c.get("family").asText();
            List<String> expected = new ArrayList<>();
            c.get("refusals").forEach(r -> expected.add(r.asText()));
            List<String> got = new ArrayList<>();
            rules.check(given, family).forEach(r -> got.add(r.field() + ":" + r.code()));
            String username = c.get("username").isNull() ? null : c.get("username").asText();
            String base = PersonNameRules.baseUsername(given, family, maxUsername);
            if (!expected.equals(got) || !java.util.Objects.equals(username, base)) {
                disagreements.add(given + " / " + family + ": python " + expected + " " + username
                        + ", java " + got + " " + base);
            }
        }
        assertEquals(List.of(), disagreements);
    }

    @Test
    void theTableIsNotEmptyAndRefusesSomething() throws IOException {
        JsonNode cases = resource("person-name-cases.json");
        assertTrue(cases.size() > 40);
        int refused = 0;
        for (JsonNode c : cases) {
            refused += c.get("refusals").isEmpty() ? 0 : 1;
        }
        assertTrue(refused > 20);
    }

    @Test
    void aGeneratedUsernameIsTheBaseOrTheBaseWithTwoOrMore() {
        assertTrue(PersonNameRules.isGeneratedFrom("john.smith", "john.smith"));
        assertTrue(PersonNameRules.isGeneratedFrom("john.smith2", "john.smith"));
        assertTrue(PersonNameRules.isGeneratedFrom("john.smith17", "john.smith"));
        assertFalse(PersonNameRules.isGeneratedFrom("john.smith1", "john.smith"));
        assertFalse(PersonNameRules.isGeneratedFrom("john.smith02", "john.smith"));
        assertFalse(PersonNameRules.isGeneratedFrom("john.smithx", "john.smith"));
        assertFalse(PersonNameRules.isGeneratedFrom("jsmith", "john.smith"));
        assertFalse(PersonNameRules.isGeneratedFrom("test.user", "john.smith"));
    }

    @Test
    void noUsernameIsMadeFromANameWithoutLatinLetters() {
        assertNull(PersonNameRules.baseUsername("李", "Wei", 60));
    }

    @Test
    void messageKeysAreMadeFromTheCodesAsPythonMakesThem() {
        assertEquals("lrsNameGenericName", PersonNameValidator.messageKey("generic-name", false));
        assertEquals("lrsNamesRoleName", PersonNameValidator.messageKey("role-name", true));
        assertEquals("lrsNameNoAsciiUsername", PersonNameValidator.NO_ASCII_KEY);
    }
}
