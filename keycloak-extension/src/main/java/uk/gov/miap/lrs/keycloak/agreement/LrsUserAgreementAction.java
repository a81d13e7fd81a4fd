package uk.gov.miap.lrs.keycloak.agreement;

import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;
import org.keycloak.authentication.RequiredActionContext;
import org.keycloak.authentication.RequiredActionProvider;
import org.keycloak.events.Details;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.services.managers.AuthenticationManager;
import org.keycloak.sessions.AuthenticationSessionModel;

/**
 * LRS User Agreement required action (MIAP "Managing your users" §4.3: "each time you log on,
 * every user will be presented with the User Agreement text ... and must be accepted before
 * access is given"). Keycloak's built-in TERMS_AND_CONDITIONS is asked once only.
 *
 * <p>Content and mode come from realm attributes (see {@link Agreement}). Acceptance is stored
 * on the user as {@code lrsAgreementVersion} and {@code lrsAgreementAcceptedAt}.
 */
public class LrsUserAgreementAction implements RequiredActionProvider {

    private static final Logger LOG = Logger.getLogger(LrsUserAgreementAction.class);

    public static final String USER_ATTR_VERSION = "lrsAgreementVersion";
    public static final String USER_ATTR_ACCEPTED_AT = "lrsAgreementAcceptedAt";

    /** Event detail keys added to Keycloak's CUSTOM_REQUIRED_ACTION(_ERROR) events. */
    public static final String DETAIL_AGREEMENT_VERSION = "agreement_version";
    public static final String REASON_DECLINED = "declined";

    public static final String TEMPLATE = "lrs-user-agreement.ftl";
    public static final String MSG_DECLINED = "lrsAgreementDeclined";
    static final String DECLINED_FALLBACK =
            "You must accept the User Agreement to use the Learner Registration Service. You have not been logged on.";

    /** Auth notes (live only for one authentication session). */
    static final String NOTE_ACCEPTED = "lrs.agreement.accepted";
    static final String NOTE_SHOWN_VERSION = "lrs.agreement.shownVersion";

    /** Realms already warned about "no agreement published" (avoid one warning per logon). */
    private static final Map<String, Boolean> WARNED_UNPUBLISHED = new ConcurrentHashMap<>();
    private static final Map<String, String> WARNED_BAD_MODE = new ConcurrentHashMap<>();

    @Override
    public void evaluateTriggers(RequiredActionContext context) {
        RealmModel realm = context.getRealm();
        Agreement agreement = Agreement.fromAttributes(realm::getAttribute);
        if (!agreement.isPublished()) {
            warnUnpublished(realm);
            return;
        }
        WARNED_UNPUBLISHED.remove(realm.getId());
        warnIfBadMode(realm, agreement);

        AuthenticationSessionModel authSession = context.getAuthenticationSession();
        UserModel user = context.getUser();
        // SSO_AUTH=true is set by the cookie authenticator when the logon was satisfied by an
        // existing SSO session (no credentials entered). Keycloak removes it only when the
        // logon finishes, so it is still visible while required actions are evaluated.
        boolean sso = "true".equals(authSession.getAuthNote(AuthenticationManager.SSO_AUTH));
        boolean acceptedNow = authSession.getAuthNote(NOTE_ACCEPTED) != null;

        if (AgreementPolicy.shouldTrigger(agreement, user.getFirstAttribute(USER_ATTR_VERSION), sso, acceptedNow)) {
            // Added to the AUTHENTICATION SESSION, not persisted on the user: "every logon" is a
            // property of each logon, so nothing is left pending on the user record if they
            // abandon the page (a pending user action would also make Keycloak refuse
            // direct-grant logins with "Account is not fully set up"). Keycloak treats
            // auth-session required actions exactly like user ones
            // (AuthenticationManager.getApplicableRequiredActionsSorted).
            authSession.addRequiredAction(LrsUserAgreementActionFactory.PROVIDER_ID);
        }
    }

    @Override
    public void requiredActionChallenge(RequiredActionContext context) {
        RealmModel realm = context.getRealm();
        Agreement agreement = Agreement.fromAttributes(realm::getAttribute);
        if (!agreement.isPublished()) {
            // The action can still be pending on a user (e.g. it is a realm default action for
            // new users). Nothing to show: let the logon continue without recording anything.
            // ignore() leaves it on the user so they see it once an agreement is published.
            warnUnpublished(realm);
            context.getAuthenticationSession().removeRequiredAction(LrsUserAgreementActionFactory.PROVIDER_ID);
            context.ignore();
            return;
        }
        context.getAuthenticationSession().setAuthNote(NOTE_SHOWN_VERSION, agreement.getVersion());
        Response challenge = context.form()
                .setAttribute("lrsAgreement", new AgreementFormBean(agreement))
                .createForm(TEMPLATE);
        context.challenge(challenge);
    }

    @Override
    public void processAction(RequiredActionContext context) {
        RealmModel realm = context.getRealm();
        UserModel user = context.getUser();
        AuthenticationSessionModel authSession = context.getAuthenticationSession();
        Agreement agreement = Agreement.fromAttributes(realm::getAttribute);
        MultivaluedMap<String, String> form = context.getHttpRequest().getDecodedFormParameters();

        if (!agreement.isPublished()) {
            authSession.removeRequiredAction(LrsUserAgreementActionFactory.PROVIDER_ID);
            context.ignore();
            return;
        }
        String version = agreement.getVersion();
        String shown = authSession.getAuthNote(NOTE_SHOWN_VERSION);

        // Keycloak has already set the event type CUSTOM_REQUIRED_ACTION and the detail
        // custom_required_action=lrs-user-agreement on this builder; it sends it as
        // CUSTOM_REQUIRED_ACTION on success() and as CUSTOM_REQUIRED_ACTION_ERROR
        // (error=rejected_by_user) on failure(). We only add our details, so exactly one
        // event is recorded per decision.
        context.getEvent()
                .detail(Details.CUSTOM_REQUIRED_ACTION, LrsUserAgreementActionFactory.PROVIDER_ID)
                .detail(DETAIL_AGREEMENT_VERSION, shown != null ? shown : version);

        if (form.containsKey("cancel") || !form.containsKey("accept")) {
            // Decline (or a post without the accept button): nothing recorded as accepted.
            // As Keycloak's TermsAndConditions does in 26.x: failure() ends the logon; the
            // browser is sent back to the client with error=access_denied and no code, and no
            // user session is created (it is only attached after all required actions).
            context.getEvent().detail(Details.REASON, REASON_DECLINED);
            LOG.debugf("User %s declined LRS User Agreement version %s in realm %s",
                    user.getId(), shown != null ? shown : version, realm.getName());
            context.failure(declinedMessage(context));
            return;
        }

        if (shown != null && !shown.equals(version)) {
            // A new version was published while the page was open: never record acceptance of
            // text the user did not see. Show the new version instead.
            LOG.infof("LRS User Agreement changed from %s to %s while user %s was reading it; showing it again",
                    shown, version, user.getId());
            requiredActionChallenge(context);
            return;
        }

        user.setSingleAttribute(USER_ATTR_VERSION, version);
        user.setSingleAttribute(USER_ATTR_ACCEPTED_AT, Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        authSession.setAuthNote(NOTE_ACCEPTED, version);
        context.success();
    }

    @Override
    public void close() {
    }

    /**
     * failure(msg) is sent to the client as the OAuth error_description (error=access_denied)
     * verbatim, so pass the localised sentence rather than the message key.
     */
    private static String declinedMessage(RequiredActionContext context) {
        try {
            String text = context.form().getMessage(MSG_DECLINED);
            if (text != null && !text.isBlank() && !MSG_DECLINED.equals(text)) {
                return text;
            }
        } catch (RuntimeException e) {
            LOG.debugf("cannot localise %s: %s", MSG_DECLINED, e.toString());
        }
        return DECLINED_FALLBACK;
    }

    private static void warnUnpublished(RealmModel realm) {
        if (WARNED_UNPUBLISHED.putIfAbsent(realm.getId(), Boolean.TRUE) == null) {
            LOG.warnf("LRS User Agreement: realm '%s' has no '%s' attribute, so no agreement is shown "
                    + "(this is logged once until one is published)", realm.getName(), Agreement.ATTR_VERSION);
        }
    }

    private static void warnIfBadMode(RealmModel realm, Agreement agreement) {
        if (!agreement.isModeRecognised()) {
            String raw = agreement.getRawMode();
            if (!raw.equals(WARNED_BAD_MODE.put(realm.getId(), raw))) {
                LOG.warnf("LRS User Agreement: realm '%s' has unknown %s='%s'; using 'every-logon'",
                        realm.getName(), Agreement.ATTR_MODE, raw);
            }
        }
    }
}
