package uk.gov.miap.lrs.keycloak.guard;

import java.util.Map;

/**
 * The guard's names and refusals, as the companion app words them. The Python side is the source:
 * {@code lrs_keycloak/domain/policies.py} ({@code check_last_super_user}, {@code SUPER_USER},
 * {@code password_set_by_super_user}) and {@code lrs_keycloak/keycloak/names.py}
 * ({@code ORGANISATIONS_GROUP}, {@code GUARD_LISTENER}). {@code tests/unit/test_console_guard_texts.py}
 * reads this file and fails when a text here differs from the one the Python rule produces.
 */
public final class GuardTexts {

    /** The event listener id a realm lists to be guarded (sync sets it from realm.yaml). */
    public static final String LISTENER_ID = "lrs-guard";

    /** The top-level group whose children are the organisations ({@code /organisations/<org-id>}). */
    public static final String ORGANISATIONS_GROUP = "organisations";

    /** The client role that makes a member an organisation's super user. */
    public static final String SUPER_USER_ROLE = "LRBSuperUser";

    /** check_last_super_user: %1$s is the username, %2$s the verb for the action. */
    public static final String LAST_SUPER_USER_MESSAGE = "%1$s is the only active super user, so they cannot be "
            + "%2$s: that would leave the organisation without a super user. Make "
            + "another person a super user first. (If an organisation does lose its only super "
            + "user, MIAP can create a new one from a New Super User Form approved by a senior "
            + "manager.)";
    public static final String LAST_SUPER_USER_RULE =
            "guide §3, §10.2: an organisation manages its users through its super users";

    /** The verbs check_last_super_user puts after "cannot be", by action. */
    public static final Map<String, String> VERBS = Map.of(
            "suspend", "suspended",
            "remove", "removed",
            "demote", "lose the super user role");

    /** password_set_by_super_user (guide §6.1). */
    public static final String PASSWORD_MESSAGE = "A super user cannot set a user's password: only the "
            + "user may know it. Send them the password email instead (in the admin console: the "
            + "user's Credentials tab, Credential reset, action Update Password); they choose "
            + "their own password from the link.";
    public static final String PASSWORD_RULE =
            "guide §6.1: the user receives an email prompt for their password, so that you never "
            + "know a user's password";

    private GuardTexts() {
    }

    /** The refusal for leaving an organisation without an active super user, rule included. */
    public static String lastSuperUser(String username, String action) {
        String verb = VERBS.get(action);
        if (verb == null) {
            throw new IllegalArgumentException("unknown action " + action + "; expected one of " + VERBS.keySet());
        }
        return withRule(String.format(LAST_SUPER_USER_MESSAGE, username, verb), LAST_SUPER_USER_RULE);
    }

    /** The refusal for a password set by a super user, rule included. */
    public static String password() {
        return withRule(PASSWORD_MESSAGE, PASSWORD_RULE);
    }

    /** One line for the console's error alert (it shows only errorMessage): the message, then its rule. */
    static String withRule(String message, String rule) {
        return message + " (" + rule + ")";
    }
}
