package uk.gov.miap.lrs.keycloak.agreement;

/**
 * The "should the agreement be shown at this authentication?" decision, free of Keycloak types
 * so it is unit tested.
 */
public final class AgreementPolicy {

    private AgreementPolicy() {
    }

    /**
     * @param agreement               the published agreement (may be unpublished)
     * @param acceptedVersion         the user's {@code lrsAgreementVersion} attribute, or null
     * @param ssoReauthentication     true when this authentication was satisfied by the SSO
     *                                cookie (no credentials entered; Keycloak auth note
     *                                {@code SSO_AUTH=true})
     * @param acceptedInThisAuthFlow  true when the user already accepted during this same
     *                                authentication session (Keycloak re-evaluates triggers after
     *                                every completed required action, so without this the action
     *                                would loop forever in every-logon mode)
     */
    public static boolean shouldTrigger(Agreement agreement,
                                        String acceptedVersion,
                                        boolean ssoReauthentication,
                                        boolean acceptedInThisAuthFlow) {
        if (agreement == null || !agreement.isPublished()) {
            return false;
        }
        if (acceptedInThisAuthFlow) {
            return false;
        }
        boolean acceptedCurrent = agreement.getVersion().equals(acceptedVersion == null ? null : acceptedVersion.trim());
        if (agreement.getMode() == AgreementMode.NEW_VERSION_ONLY) {
            return !acceptedCurrent;
        }
        // EVERY_LOGON. A "logon" is an interactive authentication in which the user proves who
        // they are. A cookie/SSO re-authentication (same browser session, e.g. a second LRS
        // client or a silent re-auth) is part of a logon that already required acceptance, so
        // it is not asked again -- unless the user has not accepted the current version (e.g.
        // a new version was published during the session, or the session began before the
        // agreement was switched on), in which case it is asked.
        if (ssoReauthentication) {
            return !acceptedCurrent;
        }
        return true;
    }
}
