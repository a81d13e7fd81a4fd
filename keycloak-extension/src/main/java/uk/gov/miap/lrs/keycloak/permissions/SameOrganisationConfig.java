package uk.gov.miap.lrs.keycloak.permissions;

import java.util.HashMap;
import java.util.Map;

import org.keycloak.services.ErrorResponse;
import jakarta.ws.rs.core.Response;

/**
 * The configuration of an {@code lrs-same-organisation} policy: which client role makes a super
 * user, and which top-level group holds the organisation groups. All three are required, so a
 * policy can never be created that grants on an empty condition.
 */
public record SameOrganisationConfig(String clientId, String role, String organisationsGroup) {

    public static final String CLIENT_ID = "clientId";
    public static final String ROLE = "role";
    public static final String ORGANISATIONS_GROUP = "organisationsGroup";

    /** The config, or null when a field is missing (then the policy grants nothing). */
    public static SameOrganisationConfig of(Map<String, String> config) {
        if (config == null) {
            return null;
        }
        String clientId = config.get(CLIENT_ID);
        String role = config.get(ROLE);
        String parent = config.get(ORGANISATIONS_GROUP);
        if (blank(clientId) || blank(role) || blank(parent)) {
            return null;
        }
        return new SameOrganisationConfig(clientId, role, parent);
    }

    /** Only the three known fields, each required: a 400 naming the field otherwise. */
    static Map<String, String> validated(Map<String, String> config) {
        Map<String, String> given = config == null ? Map.of() : config;
        Map<String, String> kept = new HashMap<>();
        for (String field : new String[] {CLIENT_ID, ROLE, ORGANISATIONS_GROUP}) {
            String value = given.get(field);
            if (blank(value)) {
                throw ErrorResponse.error(
                        "lrs-same-organisation policy: config." + field + " is required",
                        Response.Status.BAD_REQUEST);
            }
            kept.put(field, value);
        }
        return kept;
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }
}
