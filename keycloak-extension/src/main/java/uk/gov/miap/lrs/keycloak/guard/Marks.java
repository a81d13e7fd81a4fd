package uk.gov.miap.lrs.keycloak.guard;

import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The organisations one request has put at risk, with the first super user and action that did
 * so (named in the refusal). Kept in group-id order: the prepare step locks them in that order,
 * so two requests touching the same two organisations cannot deadlock.
 */
public final class Marks {

    /** Who was changed, and how ({@code suspend}, {@code remove} or {@code demote}). */
    public record Mark(String username, String action) {
    }

    private final TreeMap<String, Mark> byGroupId = new TreeMap<>();
    private boolean passwordSet;

    /** Marks an organisation; the first mark per organisation is kept. Returns true if it is new. */
    public boolean mark(String groupId, String username, String action) {
        if (!GuardTexts.VERBS.containsKey(action)) {
            throw new IllegalArgumentException("unknown action " + action);
        }
        return byGroupId.putIfAbsent(groupId, new Mark(username, action)) == null;
    }

    public SortedMap<String, Mark> organisations() {
        return Collections.unmodifiableSortedMap(byGroupId);
    }

    public void passwordSet() {
        passwordSet = true;
    }

    public boolean isPasswordSet() {
        return passwordSet;
    }

    public boolean isEmpty() {
        return byGroupId.isEmpty() && !passwordSet;
    }

    /**
     * Whether a stored password was set by this request: created (or replaced: Keycloak stamps a
     * new created date) at or after the request began. The admin event strips {@code credentials}
     * from the representation, so the credential's date is the only trace of a password sent in
     * a create or update body. Keycloak creates the realm's event listeners when it routes the
     * request to the realm (RealmsAdminResource.getRealmAdmin builds the AdminEventBuilder),
     * before the resource method runs: the listener's creation time is the request's start.
     */
    public static boolean setByThisRequest(Long passwordCreated, long requestStarted) {
        return passwordCreated != null && passwordCreated >= requestStarted;
    }
}
