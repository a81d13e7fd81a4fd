package uk.gov.miap.lrs.keycloak.agreement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AgreementTest {

    @Test
    void modeParsing() {
        assertEquals(AgreementMode.EVERY_LOGON, AgreementMode.parse(null));
        assertEquals(AgreementMode.EVERY_LOGON, AgreementMode.parse(""));
        assertEquals(AgreementMode.EVERY_LOGON, AgreementMode.parse("every-logon"));
        assertEquals(AgreementMode.NEW_VERSION_ONLY, AgreementMode.parse("new-version-only"));
        assertEquals(AgreementMode.NEW_VERSION_ONLY, AgreementMode.parse("  New-Version-Only "));
        // typo fails towards asking more often
        assertEquals(AgreementMode.EVERY_LOGON, AgreementMode.parse("new_version_only"));
        assertFalse(AgreementMode.isRecognised("new_version_only"));
        assertTrue(AgreementMode.isRecognised(null));
    }

    @Test
    void fromRealmAttributes() {
        Map<String, String> attrs = Map.of(
                "lrsAgreementVersion", " 2026-01 ",
                "lrsAgreementTitle", "LRS User Agreement",
                "lrsAgreementText", "One.\n\nTwo.",
                "lrsAgreementMode", "new-version-only");
        Agreement a = Agreement.fromAttributes(attrs::get);
        assertTrue(a.isPublished());
        assertEquals("2026-01", a.getVersion());
        assertEquals(AgreementMode.NEW_VERSION_ONLY, a.getMode());
        assertEquals(List.of("One.", "Two."), a.getParagraphs());
    }

    @Test
    void unpublishedWhenNoVersion() {
        assertFalse(Agreement.fromAttributes(Map.<String, String>of()::get).isPublished());
        assertFalse(new Agreement("  ", "t", "x", null).isPublished());
        assertNull(new Agreement("1", " ", "x", null).getTitle());
    }

    @Test
    void paragraphSplitting() {
        assertEquals(List.of(), Agreement.splitParagraphs(null));
        assertEquals(List.of(), Agreement.splitParagraphs(" \n \n"));
        assertEquals(List.of("a b", "c"), Agreement.splitParagraphs("a\nb\n\nc"));
        assertEquals(List.of("a", "b"), Agreement.splitParagraphs("\r\n\r\na\r\n  \t \r\nb\r\n"));
        assertEquals(List.of("a", "b"), Agreement.splitParagraphs("a\n\n\n\nb"));
        assertEquals(List.of("a", "b"), Agreement.splitParagraphs("a\r\rb"));
    }

    @Test
    void markupIsKeptAsPlainText() {
        // splitting never interprets markup; escaping is the template's job
        assertEquals(List.of("<script>alert(1)</script>", "x &amp; y"),
                Agreement.splitParagraphs("<script>alert(1)</script>\n\nx &amp; y"));
    }
}
