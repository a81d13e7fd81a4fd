// Starts GOV.UK Frontend's components on every page (loaded as a module by layout.html; the
// Content-Security-Policy forbids inline script, so the classes the GOV.UK template sets with an
// inline script are set here). Every page works without it.
import { initAll } from "/static/govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled");
if ("noModule" in HTMLScriptElement.prototype) {
  document.body.classList.add("govuk-frontend-supported");
}
initAll();
