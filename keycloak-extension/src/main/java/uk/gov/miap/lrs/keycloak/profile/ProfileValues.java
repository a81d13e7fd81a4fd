package uk.gov.miap.lrs.keycloak.profile;

import java.util.List;
import java.util.Objects;

import org.keycloak.models.UserModel;
import org.keycloak.userprofile.AttributeContext;
import org.keycloak.userprofile.Attributes;
import org.keycloak.userprofile.UserProfileAttributeValidationContext;
import org.keycloak.validate.ValidationContext;

/** What the validators read from the profile being validated: the names, the user if it exists. */
record ProfileValues(String given, String family, UserModel user, boolean loginPage) {

    /** Suffix of a message key's login-page form (MessageFormat), as keycloak_names.py writes it. */
    static final String PAGE_SUFFIX = "Page";

    /** Null when the validator runs outside a user profile (it then has nothing to check). */
    static ProfileValues of(ValidationContext context) {
        if (!(context instanceof UserProfileAttributeValidationContext profile)) {
            return null;
        }
        AttributeContext attribute = profile.getAttributeContext();
        Attributes attributes = attribute.getAttributes();
        return new ProfileValues(
                orEmpty(attributes.getFirst(UserModel.FIRST_NAME)),
                orEmpty(attributes.getFirst(UserModel.LAST_NAME)),
                attribute.getUser(),
                // Login pages format texts with MessageFormat; the consoles with i18next.
                attribute.getContext().canBeAuthFlowContext());
    }

    /** The names are those the account already has: an existing account kept as it was named
     * (legacy names included) is never refused for them on other edits. */
    boolean namesUnchanged() {
        return user != null
                && Objects.equals(given, orEmpty(user.getFirstName()))
                && Objects.equals(family, orEmpty(user.getLastName()));
    }

    /** The bundle key to report: the consoles' form, or the login pages' form. */
    String key(String consoleKey) {
        return loginPage ? consoleKey + PAGE_SUFFIX : consoleKey;
    }

    static String first(Object input) {
        if (input instanceof List<?> values) {
            return values.isEmpty() || values.get(0) == null ? "" : values.get(0).toString();
        }
        return input == null ? "" : input.toString();
    }

    private static String orEmpty(String value) {
        return value == null ? "" : value;
    }
}
