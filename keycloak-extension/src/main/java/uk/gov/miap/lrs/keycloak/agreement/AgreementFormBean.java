package uk.gov.miap.lrs.keycloak.agreement;

import java.util.List;

/**
 * What {@code lrs-user-agreement.ftl} sees as {@code lrsAgreement}. Values are plain text: the
 * template relies on FreeMarker's HTML auto-escaping and never uses {@code ?no_esc} on them.
 */
public class AgreementFormBean {
    private final String title;
    private final String version;
    private final List<String> paragraphs;

    public AgreementFormBean(Agreement agreement) {
        this.title = agreement.getTitle();
        this.version = agreement.getVersion();
        this.paragraphs = agreement.getParagraphs();
    }

    /** May be null: the template then shows the message {@code lrsAgreementTitle}. */
    public String getTitle() {
        return title;
    }

    public String getVersion() {
        return version;
    }

    public List<String> getParagraphs() {
        return paragraphs;
    }
}
