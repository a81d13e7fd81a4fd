package uk.gov.miap.lrs.keycloak.profile;

import java.util.Locale;

import org.keycloak.validate.SimpleValidator;
import org.keycloak.validate.ValidationContext;
import org.keycloak.validate.ValidationError;
import org.keycloak.validate.ValidatorConfig;

/**
 * {@code lrs-generated-username}, on {@code username}: a new account's username (or a changed
 * one) must be the one the companion app generates from the given and family names
 * (lrs_keycloak/domain/usernames.py), optionally followed by the number 2, 3, … that makes it
 * unique (guide §4.2). An existing account keeping its username is never refused: legacy
 * usernames stay valid, and a rename keeps the username (the realm forbids editing it).
 * Configuration: {@code max-length}, the generator's maximum (written by sync).
 */
public class GeneratedUsernameValidator implements SimpleValidator {

    public static final String ID = "lrs-generated-username";
    public static final String MESSAGE_KEY = "lrsUsernameNotGenerated";

    @Override
    public String getId() {
        return ID;
    }

    @Override
    public ValidationContext validate(Object input, String inputHint, ValidationContext context,
            ValidatorConfig config) {
        ProfileValues values = ProfileValues.of(context);
        if (values == null) {
            return context;
        }
        String username = ProfileValues.first(input).toLowerCase(Locale.ROOT);
        if (values.user() != null && username.equalsIgnoreCase(values.user().getUsername())) {
            return context;
        }
        if (username.isEmpty() || values.given().isBlank() || values.family().isBlank()) {
            return context; // Keycloak's required checks report the missing value
        }
        String base = PersonNameRules.baseUsername(values.given(), values.family(),
                config.getIntOrDefault("max-length", 60));
        if (base != null && !PersonNameRules.isGeneratedFrom(username, base)) {
            context.addError(new ValidationError(ID, inputHint, values.key(MESSAGE_KEY), base));
        }
        return context;
    }
}
