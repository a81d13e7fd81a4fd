package uk.gov.miap.lrs.keycloak.agreement;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import freemarker.cache.FileTemplateLoader;
import freemarker.cache.MultiTemplateLoader;
import freemarker.cache.StringTemplateLoader;
import freemarker.cache.TemplateLoader;
import freemarker.core.HTMLOutputFormat;
import freemarker.template.Configuration;
import freemarker.template.TemplateMethodModelEx;
import java.io.File;
import java.io.StringWriter;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Renders lrs-user-agreement.ftl as Keycloak does (FreeMarker, HTML output format, so values are
 * escaped unless printed with ?no_esc), with a stand-in for the login theme's template.ftl.
 */
class AgreementTemplateTest {

    private static final String TEXT = "First paragraph.\n\n<b>bold</b> and <script>x()</script>";

    private static String render(Map<String, String> realmAttributes) throws Exception {
        Configuration cfg = new Configuration(Configuration.VERSION_2_3_32);
        cfg.setOutputFormat(HTMLOutputFormat.INSTANCE);
        StringTemplateLoader layout = new StringTemplateLoader();
        layout.putTemplate(
                "template.ftl",
                "<#macro registrationLayout displayMessage=true>"
                        + "<h1><#nested \"header\"></h1><#nested \"form\"></#macro>");
        cfg.setTemplateLoader(new MultiTemplateLoader(new TemplateLoader[] {
            layout, new FileTemplateLoader(new File("src/main/resources/theme-resources/templates"))
        }));
        Map<String, Object> model = new HashMap<>();
        model.put("lrsAgreement", new AgreementFormBean(new Agreement("7", "Title", TEXT, null)));
        model.put("realm", Map.of("attributes", realmAttributes));
        model.put("msg", (TemplateMethodModelEx) args -> String.valueOf(args.get(0)));
        model.put("url", Map.of("loginAction", "/login-actions"));
        model.put("properties", Map.of());
        StringWriter out = new StringWriter();
        cfg.getTemplate("lrs-user-agreement.ftl").process(model, out);
        return out.toString();
    }

    @Test
    void theSanitisedHtmlSyncStoresIsPrintedAsHtml() throws Exception {
        String html = render(Map.of(
                Agreement.ATTR_TEXT, TEXT,
                "lrsAgreementHtml", "<h1>LRS User Agreement</h1><ul><li>one</li></ul>"));
        assertTrue(html.contains("<div id=\"lrs-agreement-html\">"
                + "<h1>LRS User Agreement</h1><ul><li>one</li></ul></div>"), html);
        assertFalse(html.contains("First paragraph."), html);
    }

    @Test
    void withoutTheHtmlTheTextIsShownAsEscapedParagraphs() throws Exception {
        String html = render(Map.of(Agreement.ATTR_TEXT, TEXT));
        assertTrue(html.contains("<p>First paragraph.</p>"), html);
        assertTrue(html.contains(
                "&lt;b&gt;bold&lt;/b&gt; and &lt;script&gt;x()&lt;/script&gt;"), html);
        assertFalse(html.contains("<b>") || html.contains("<script>"), html);
        assertFalse(html.contains("lrs-agreement-html"), html);
    }

    @Test
    void theTitleAndVersionStayEscapedText() throws Exception {
        String html = render(Map.of());
        assertTrue(html.matches("(?s).*<h1>\\s*Title\\s*</h1>.*"), html);
        assertTrue(html.contains("<strong>7</strong>"), html);
    }
}
