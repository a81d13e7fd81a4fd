<#--
  LRS User Agreement (required action lrs-user-agreement).
  Every value from lrsAgreement is plain text and is auto-escaped by FreeMarker (HTML output
  format): never add ?no_esc to them. The one exception is the realm attribute lrsAgreementHtml:
  the agreement's Markdown text rendered by sync (lrs_keycloak/config/agreement_html.py) and
  sanitised there to headings, paragraphs, lists, emphasis and http(s)/mailto links; only realm
  administrators can write it. Without it the plain text is shown as escaped paragraphs.
  The layout renders the "header" section inside an <h1>.
-->
<#import "template.ftl" as layout>
<@layout.registrationLayout displayMessage=true; section>
    <#if section = "header">
        <#if lrsAgreement.title?has_content>${lrsAgreement.title}<#else>${msg("lrsAgreementTitle")}</#if>
    <#elseif section = "form">
        <p id="lrs-agreement-intro">${msg("lrsAgreementIntro")}</p>
        <p id="lrs-agreement-version">${msg("lrsAgreementVersionLabel")} <strong>${lrsAgreement.version}</strong></p>
        <section id="lrs-agreement-text" class="${properties.kcContentWrapperClass!}"
                 role="region" aria-labelledby="lrs-agreement-text-label" tabindex="0"
                 style="max-height: 50vh; overflow-y: auto; border: 1px solid #d2d2d2; padding: 0.75em; margin-bottom: 1em;">
            <h2 id="lrs-agreement-text-label" style="font-size: 1em; font-weight: bold; margin-top: 0;">${msg("lrsAgreementTextLabel")}</h2>
            <#assign agreementHtml = (realm.attributes["lrsAgreementHtml"])!"">
            <#if agreementHtml?has_content>
                <div id="lrs-agreement-html">${agreementHtml?no_esc}</div>
            <#else>
                <#list lrsAgreement.paragraphs as paragraph>
                    <p>${paragraph}</p>
                </#list>
            </#if>
        </section>
        <form id="lrs-agreement-form" class="${properties.kcFormClass!}" action="${url.loginAction}" method="post">
            <div class="${properties.kcFormGroupClass!} ${properties.kcFormActionGroupClass!}">
                <button type="submit" name="accept" id="kc-accept" value="accept"
                        class="${properties.kcButtonClass!} ${properties.kcButtonPrimaryClass!} ${properties.kcButtonBlockClass!}">${msg("lrsAgreementAccept")}</button>
                <button type="submit" name="cancel" id="kc-decline" value="cancel"
                        class="${properties.kcButtonClass!} ${properties.kcButtonSecondaryClass!} ${properties.kcButtonBlockClass!}">${msg("lrsAgreementDecline")}</button>
            </div>
        </form>
    </#if>
</@layout.registrationLayout>
