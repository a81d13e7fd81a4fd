package uk.gov.miap.lrs.keycloak.webhook;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.keycloak.events.Event;
import org.keycloak.events.EventType;
import org.keycloak.events.admin.AdminEvent;
import org.keycloak.events.admin.AuthDetails;

/**
 * Builds the webhook JSON bodies and decides which login events are sent. Uses only Keycloak's
 * plain event value classes, so it is unit tested without a server.
 *
 * <p>Keys are always present (null when Keycloak has no value), in a fixed order.
 */
public final class WebhookPayloads {

    /** Login (user) events that are forwarded. Admin events are all forwarded. */
    public static final Set<EventType> LOGIN_EVENT_TYPES = Collections.unmodifiableSet(EnumSet.of(
            EventType.LOGIN,
            EventType.LOGIN_ERROR,
            EventType.CUSTOM_REQUIRED_ACTION,
            EventType.CUSTOM_REQUIRED_ACTION_ERROR,
            EventType.USER_DISABLED_BY_PERMANENT_LOCKOUT,
            EventType.USER_DISABLED_BY_TEMPORARY_LOCKOUT,
            EventType.UPDATE_PROFILE));

    // Own mapper (not Keycloak's JsonSerialization, which omits nulls): receivers get every key.
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private WebhookPayloads() {
    }

    public static boolean isForwarded(EventType type) {
        return type != null && LOGIN_EVENT_TYPES.contains(type);
    }

    public static Map<String, Object> loginEventMap(Event e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", "login");
        m.put("id", e.getId());
        m.put("time", e.getTime());
        m.put("realmId", e.getRealmId());
        m.put("type", e.getType() == null ? null : e.getType().name());
        m.put("userId", e.getUserId());
        m.put("clientId", e.getClientId());
        m.put("ipAddress", e.getIpAddress());
        m.put("error", e.getError());
        m.put("details", e.getDetails() == null ? Collections.emptyMap() : new LinkedHashMap<>(e.getDetails()));
        return m;
    }

    /**
     * {@code representation} is Keycloak's JSON string for the resource, passed on unchanged as a
     * JSON string value (null when absent).
     */
    public static Map<String, Object> adminEventMap(AdminEvent e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", "admin");
        m.put("id", e.getId());
        m.put("time", e.getTime());
        m.put("realmId", e.getRealmId());
        m.put("operationType", e.getOperationType() == null ? null : e.getOperationType().name());
        m.put("resourceType", e.getResourceTypeAsString());
        m.put("resourcePath", e.getResourcePath());
        m.put("representation", e.getRepresentation());
        AuthDetails a = e.getAuthDetails();
        Map<String, Object> auth = new LinkedHashMap<>();
        auth.put("realmId", a == null ? null : a.getRealmId());
        auth.put("clientId", a == null ? null : a.getClientId());
        auth.put("userId", a == null ? null : a.getUserId());
        auth.put("ipAddress", a == null ? null : a.getIpAddress());
        m.put("authDetails", auth);
        m.put("error", e.getError());
        return m;
    }

    public static String loginEventJson(Event e) {
        return toJson(loginEventMap(e));
    }

    public static String adminEventJson(AdminEvent e) {
        return toJson(adminEventMap(e));
    }

    static String toJson(Map<String, Object> m) {
        try {
            return MAPPER.writeValueAsString(m);
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException("cannot serialise webhook payload", ex);
        }
    }
}
