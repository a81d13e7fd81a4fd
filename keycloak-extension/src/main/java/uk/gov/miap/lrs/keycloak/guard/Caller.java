package uk.gov.miap.lrs.keycloak.guard;

/**
 * Who made the admin request, as far as the guard cares: only delegated admins are refused.
 *
 * <p>Realm admins (master-realm admins, and users or service accounts of the realm holding
 * realm-management {@code manage-users}, which {@code realm-admin} includes) are exempt: the
 * companion app (a master-realm admin) runs its own check under the organisation's lock, the
 * enforcer is the backstop, and the help desk's recovery must be able to remove a compromised
 * last super user. Super users in the console hold only {@code query-users}/{@code query-groups}
 * plus admin permissions v2 (ADR 5), so they are delegated admins.
 */
public final class Caller {

    private Caller() {
    }

    /**
     * @param hasBearerToken the request carried an admin bearer token (Keycloak sets it on the
     *                       session context in {@code AdminRoot.authenticateRealmAdminRequest})
     * @param tokenRealm     the realm that issued the token (from its issuer)
     * @param adminRealm     the master realm's name ({@code Config.getAdminRealm()})
     * @param callerKnown    the token's subject resolves to a user
     * @param managesUsers   that user holds realm-management {@code manage-users} (composites count)
     * @return true when the guard's rules apply to this caller
     */
    public static boolean isDelegatedAdmin(boolean hasBearerToken, String tokenRealm, String adminRealm,
                                           boolean callerKnown, boolean managesUsers) {
        if (!hasBearerToken || !callerKnown) {
            return false;   // not an admin REST call (e.g. Keycloak's own background work)
        }
        if (tokenRealm == null || tokenRealm.equals(adminRealm)) {
            return false;   // master-realm admins: the companion app and operators
        }
        return !managesUsers;
    }

    /** The realm name at the end of a token issuer ({@code …/realms/<name>}). */
    public static String realmOfIssuer(String issuer) {
        if (issuer == null || issuer.isEmpty()) {
            return null;
        }
        return java.net.URLDecoder.decode(issuer.substring(issuer.lastIndexOf('/') + 1),
                java.nio.charset.StandardCharsets.UTF_8);
    }
}
