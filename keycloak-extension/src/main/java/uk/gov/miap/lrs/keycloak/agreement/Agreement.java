package uk.gov.miap.lrs.keycloak.agreement;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;

/**
 * The published User Agreement, read from realm attributes. Plain value class (no Keycloak
 * runtime dependency) so it can be unit tested.
 */
public final class Agreement {

    /** Realm attribute names (written by the Python companion app with PUT /admin/realms/{r}). */
    public static final String ATTR_VERSION = "lrsAgreementVersion";
    public static final String ATTR_TITLE = "lrsAgreementTitle";
    public static final String ATTR_TEXT = "lrsAgreementText";
    public static final String ATTR_MODE = "lrsAgreementMode";

    private final String version;
    private final String title;
    private final String text;
    private final AgreementMode mode;
    private final String rawMode;

    public Agreement(String version, String title, String text, String rawMode) {
        this.version = trimToNull(version);
        this.title = trimToNull(title);
        this.text = text == null ? "" : text;
        this.rawMode = rawMode;
        this.mode = AgreementMode.parse(rawMode);
    }

    /** @param realmAttribute e.g. {@code realm::getAttribute} */
    public static Agreement fromAttributes(Function<String, String> realmAttribute) {
        return new Agreement(
                realmAttribute.apply(ATTR_VERSION),
                realmAttribute.apply(ATTR_TITLE),
                realmAttribute.apply(ATTR_TEXT),
                realmAttribute.apply(ATTR_MODE));
    }

    /** No version published means the agreement is switched off (nothing is shown). */
    public boolean isPublished() {
        return version != null;
    }

    public String getVersion() {
        return version;
    }

    /** Title, or null when none was set (the template then falls back to a message key). */
    public String getTitle() {
        return title;
    }

    public String getText() {
        return text;
    }

    public AgreementMode getMode() {
        return mode;
    }

    public boolean isModeRecognised() {
        return AgreementMode.isRecognised(rawMode);
    }

    public String getRawMode() {
        return rawMode;
    }

    /** The text as paragraphs (see {@link #splitParagraphs}). */
    public List<String> getParagraphs() {
        return splitParagraphs(text);
    }

    /**
     * Splits plain text into paragraphs on blank lines (a line with only whitespace counts as
     * blank). Line breaks inside a paragraph are kept as single spaces. Handles \r\n and \r.
     * Never interprets markup: the template escapes each paragraph.
     */
    public static List<String> splitParagraphs(String text) {
        if (text == null || text.isBlank()) {
            return Collections.emptyList();
        }
        String normalised = text.replace("\r\n", "\n").replace('\r', '\n');
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : normalised.split("\n", -1)) {
            if (line.isBlank()) {
                flush(current, out);
            } else {
                if (current.length() > 0) {
                    current.append(' ');
                }
                current.append(line.strip());
            }
        }
        flush(current, out);
        return Collections.unmodifiableList(out);
    }

    private static void flush(StringBuilder current, List<String> out) {
        if (current.length() > 0) {
            out.add(current.toString());
            current.setLength(0);
        }
    }

    private static String trimToNull(String s) {
        if (s == null) {
            return null;
        }
        String t = s.trim();
        return t.isEmpty() ? null : t;
    }
}
