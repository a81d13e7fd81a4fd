package uk.gov.miap.lrs.keycloak.lastlogon;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.keycloak.events.Event;
import org.keycloak.events.EventType;

class LastLogonListenerTest {

    private static Event event(EventType type, String error) {
        Event e = new Event();
        e.setType(type);
        e.setRealmId("realm-id");
        e.setUserId("user-1");
        e.setTime(1700000000123L);
        e.setError(error);
        return e;
    }

    @Test
    void aSuccessfulLogonCounts() {
        assertTrue(LastLogonListener.counts(event(EventType.LOGIN, null)));
    }

    @Test
    void aFailedLogonDoesNotCount() {
        assertFalse(LastLogonListener.counts(event(EventType.LOGIN_ERROR, "invalid_user_credentials")));
        assertFalse(LastLogonListener.counts(event(EventType.LOGIN, "invalid_user_credentials")));
    }

    @Test
    void otherEventsDoNotCount() {
        assertFalse(LastLogonListener.counts(event(EventType.LOGOUT, null)));
        assertFalse(LastLogonListener.counts(event(EventType.CODE_TO_TOKEN, null)));
    }

    @Test
    void anEventWithoutAUserDoesNotCount() {
        Event e = event(EventType.LOGIN, null);
        e.setUserId(null);
        assertFalse(LastLogonListener.counts(e));
    }
}
