package uk.gov.miap.lrs.keycloak.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.keycloak.events.Event;
import org.keycloak.events.EventType;
import org.keycloak.events.admin.AdminEvent;
import org.keycloak.events.admin.AuthDetails;
import org.keycloak.events.admin.OperationType;
import org.keycloak.events.admin.ResourceType;

class WebhookPayloadsTest {

    private final ObjectMapper mapper = new ObjectMapper();

    @Test
    void loginEventBody() throws Exception {
        Event e = new Event();
        e.setId("ev-1");
        e.setTime(1700000000123L);
        e.setRealmId("realm-id");
        e.setType(EventType.CUSTOM_REQUIRED_ACTION_ERROR);
        e.setUserId("user-1");
        e.setClientId("lrs-portal");
        e.setIpAddress("10.0.0.1");
        e.setError("rejected_by_user");
        Map<String, String> details = new LinkedHashMap<>();
        details.put("custom_required_action", "lrs-user-agreement");
        details.put("agreement_version", "2026-01");
        details.put("reason", "declined");
        e.setDetails(details);

        String json = WebhookPayloads.loginEventJson(e);
        JsonNode n = mapper.readTree(json);
        assertEquals(List.of("kind", "id", "time", "realmId", "type", "userId", "clientId", "ipAddress", "error", "details"),
                fieldNames(n));
        assertEquals("login", n.get("kind").asText());
        assertEquals(1700000000123L, n.get("time").asLong());
        assertEquals("CUSTOM_REQUIRED_ACTION_ERROR", n.get("type").asText());
        assertEquals("rejected_by_user", n.get("error").asText());
        assertEquals("declined", n.get("details").get("reason").asText());
        assertEquals("2026-01", n.get("details").get("agreement_version").asText());
    }

    @Test
    void loginEventWithNullsKeepsKeys() throws Exception {
        Event e = new Event();
        e.setType(EventType.LOGIN);
        JsonNode n = mapper.readTree(WebhookPayloads.loginEventJson(e));
        assertTrue(n.has("error") && n.get("error").isNull());
        assertTrue(n.get("details").isObject() && n.get("details").isEmpty());
    }

    @Test
    void adminEventBody() throws Exception {
        AdminEvent a = new AdminEvent();
        a.setId("ad-1");
        a.setTime(1700000000999L);
        a.setRealmId("realm-id");
        a.setOperationType(OperationType.UPDATE);
        a.setResourceType(ResourceType.USER);
        a.setResourcePath("users/u-1");
        a.setRepresentation("{\"username\":\"alice\",\"note\":\"<b>\\\"q\\\"</b>\"}");
        AuthDetails ad = new AuthDetails();
        ad.setRealmId("master-id");
        ad.setClientId("admin-cli");
        ad.setUserId("admin-1");
        ad.setIpAddress("127.0.0.1");
        a.setAuthDetails(ad);

        JsonNode n = mapper.readTree(WebhookPayloads.adminEventJson(a));
        assertEquals(List.of("kind", "id", "time", "realmId", "operationType", "resourceType", "resourcePath",
                "representation", "authDetails", "error"), fieldNames(n));
        assertEquals("admin", n.get("kind").asText());
        assertEquals("UPDATE", n.get("operationType").asText());
        assertEquals("USER", n.get("resourceType").asText());
        assertEquals("users/u-1", n.get("resourcePath").asText());
        // representation stays Keycloak's JSON string, round-trips exactly
        assertEquals(a.getRepresentation(), n.get("representation").asText());
        assertEquals("alice", mapper.readTree(n.get("representation").asText()).get("username").asText());
        assertEquals("admin-cli", n.get("authDetails").get("clientId").asText());
        assertEquals(List.of("realmId", "clientId", "userId", "ipAddress"), fieldNames(n.get("authDetails")));
        assertTrue(n.get("error").isNull());
    }

    @Test
    void adminEventWithoutAuthDetailsOrRepresentation() throws Exception {
        AdminEvent a = new AdminEvent();
        a.setOperationType(OperationType.DELETE);
        JsonNode n = mapper.readTree(WebhookPayloads.adminEventJson(a));
        assertTrue(n.get("representation").isNull());
        assertTrue(n.get("authDetails").get("userId").isNull());
    }

    @Test
    void forwardsOnlyTheAgreedLoginEventTypes() {
        for (EventType t : List.of(EventType.LOGIN, EventType.LOGIN_ERROR, EventType.CUSTOM_REQUIRED_ACTION,
                EventType.CUSTOM_REQUIRED_ACTION_ERROR, EventType.USER_DISABLED_BY_PERMANENT_LOCKOUT,
                EventType.USER_DISABLED_BY_TEMPORARY_LOCKOUT, EventType.UPDATE_PROFILE)) {
            assertTrue(WebhookPayloads.isForwarded(t), t.name());
        }
        assertFalse(WebhookPayloads.isForwarded(EventType.CODE_TO_TOKEN));
        assertFalse(WebhookPayloads.isForwarded(EventType.REFRESH_TOKEN));
        assertFalse(WebhookPayloads.isForwarded(EventType.LOGOUT));
        assertFalse(WebhookPayloads.isForwarded(null));
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> names = new java.util.ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
