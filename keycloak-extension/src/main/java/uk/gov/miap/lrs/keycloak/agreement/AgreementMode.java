package uk.gov.miap.lrs.keycloak.agreement;

import java.util.Locale;

/** When the LRS User Agreement is shown. Value of the realm attribute {@code lrsAgreementMode}. */
public enum AgreementMode {
    /** MIAP guide §4.3: shown, and must be accepted, at every logon. The default. */
    EVERY_LOGON("every-logon"),
    /** Shown only when the user has not yet accepted the currently published version. */
    NEW_VERSION_ONLY("new-version-only");

    private final String value;

    AgreementMode(String value) {
        this.value = value;
    }

    public String value() {
        return value;
    }

    /**
     * Parses the realm attribute. Absent/blank means {@link #EVERY_LOGON}. An unrecognised
     * value also means {@link #EVERY_LOGON}: a typo must fail towards asking more often, never
     * towards silently skipping the agreement. Callers can use {@link #isRecognised} to warn.
     */
    public static AgreementMode parse(String raw) {
        if (raw == null) {
            return EVERY_LOGON;
        }
        String v = raw.trim().toLowerCase(Locale.ROOT);
        for (AgreementMode m : values()) {
            if (m.value.equals(v)) {
                return m;
            }
        }
        return EVERY_LOGON;
    }

    public static boolean isRecognised(String raw) {
        if (raw == null || raw.isBlank()) {
            return true;
        }
        String v = raw.trim().toLowerCase(Locale.ROOT);
        for (AgreementMode m : values()) {
            if (m.value.equals(v)) {
                return true;
            }
        }
        return false;
    }
}
