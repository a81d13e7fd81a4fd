package uk.gov.miap.lrs.keycloak.profile;

import java.util.List;

import org.keycloak.validate.SimpleValidator;
import org.keycloak.validate.ValidationContext;
import org.keycloak.validate.ValidationError;
import org.keycloak.validate.ValidatorConfig;

/**
 * {@code lrs-person-name}, on {@code firstName} and {@code lastName}: refuses generic, department
 * and role names, names with digits, mailboxes or odd characters, names too long, and names from
 * which no account name can be made (guide §4.1, §4.2), when the account is new or its names
 * change. Configuration, written by sync (lrs_keycloak/domain/keycloak_names.py):
 * {@code field} (given_name / family_name), {@code label}, {@code generic-words},
 * {@code departments}, {@code role-names}, {@code max-length}, {@code max-analysed-length}.
 * Messages are the realm's bundle keys {@code lrsName…} / {@code lrsNames…} (see messageKey), with
 * parameters {{1}} label, {{2}} the name as typed, {{3}} the words or characters found (the
 * admin console interpolates i18next-style; {{0}} is the attribute, put first by Keycloak).
 */
public class PersonNameValidator implements SimpleValidator {

    public static final String ID = "lrs-person-name";
    public static final String NO_ASCII_KEY = "lrsNameNoAsciiUsername";

    @Override
    public String getId() {
        return ID;
    }

    /** {@code generic-name} → {@code lrsNameGenericName} ({@code lrsNames…} for both together). */
    public static String messageKey(String code, boolean together) {
        StringBuilder key = new StringBuilder(together ? "lrsNames" : "lrsName");
        for (String part : code.split("-")) {
            key.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
        }
        return key.toString();
    }

    static PersonNameRules rules(ValidatorConfig config) {
        return new PersonNameRules(
                config.getStringListOrDefault("generic-words", List.of()),
                config.getStringListOrDefault("departments", List.of()),
                config.getStringListOrDefault("role-names", List.of()),
                config.getIntOrDefault("max-length", 100),
                config.getIntOrDefault("max-analysed-length", 1000));
    }

    @Override
    public ValidationContext validate(Object input, String inputHint, ValidationContext context,
            ValidatorConfig config) {
        ProfileValues values = ProfileValues.of(context);
        if (values == null || values.namesUnchanged()) {
            return context;
        }
        String field = config.getStringOrDefault("field", "given_name");
        String label = config.getStringOrDefault("label", field);
        List<PersonNameRules.Refusal> refusals = rules(config).check(values.given(), values.family());
        for (PersonNameRules.Refusal refusal : refusals) {
            // A blank name is Keycloak's own required check's to report.
            if (refusal.field().equals(field) && !refusal.code().equals("required")) {
                context.addError(new ValidationError(ID, inputHint,
                        values.key(messageKey(refusal.code(), refusal.together())), label,
                        refusal.name(),
                        refusal.detail()));
            }
        }
        if (refusals.isEmpty()) {
            String value = field.equals("family_name") ? values.family() : values.given();
            if (PersonNameRules.foldPart(value).isEmpty()) {
                context.addError(new ValidationError(ID, inputHint, values.key(NO_ASCII_KEY), label,
                        "'" + value + "'"));
            }
        }
        return context;
    }
}
