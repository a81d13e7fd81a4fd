package uk.gov.miap.lrs.keycloak.members;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one request for an organisation's members asks for, checked before anything is read: the
 * page ({@code first}, {@code max}), the client whose roles are wanted and the attributes wanted.
 * Pure (no Keycloak types) so the rules are unit-tested; {@link OrganisationMembersResource} turns a
 * {@link Refusal} into a 400 naming the field.
 */
public record MemberPage(int first, int max, String clientId, List<String> attributes) {

    /** A page when {@code max} is not given (Keycloak's own listings default to 100). */
    public static final int DEFAULT_MAX = 100;
    /** The largest page: one page of full members must stay a bounded amount of memory. */
    public static final int MAX_MAX = 1000;
    /** The most attributes one request may name (the report needs about a dozen). */
    public static final int MAX_ATTRIBUTES = 50;

    /** A request parameter that is missing or out of range. */
    public static final class Refusal extends RuntimeException {
        private final String field;

        public Refusal(String field, String reason) {
            super(field + ": " + reason);
            this.field = field;
        }

        public String field() {
            return field;
        }
    }

    /** The page the parameters ask for, or a {@link Refusal} naming the first bad one. */
    public static MemberPage of(Integer first, Integer max, String clientId, Collection<String> attributes) {
        int from = first == null ? 0 : first;
        if (from < 0) {
            throw new Refusal("first", "must be 0 or more, not " + from);
        }
        int size = max == null ? DEFAULT_MAX : max;
        if (size < 1 || size > MAX_MAX) {
            throw new Refusal("max", "must be from 1 to " + MAX_MAX + ", not " + size);
        }
        if (clientId == null || clientId.isBlank()) {
            throw new Refusal("client", "the clientId whose roles are wanted is required");
        }
        Set<String> names = new LinkedHashSet<>();
        for (String name : attributes == null ? List.<String>of() : attributes) {
            if (name == null || name.isBlank()) {
                throw new Refusal("attribute", "an attribute name must not be blank");
            }
            names.add(name);
        }
        if (names.size() > MAX_ATTRIBUTES) {
            throw new Refusal("attribute", "at most " + MAX_ATTRIBUTES + " names, not " + names.size());
        }
        return new MemberPage(from, size, clientId, List.copyOf(names));
    }

    /**
     * The wanted attributes an administrator may see under the realm's user profile: a managed
     * attribute when its {@code view} or {@code edit} permissions name {@code admin}, an unmanaged
     * one when the unmanaged-attribute policy shows them to admins. The same rule Keycloak's own
     * full user representation applies, so this endpoint shows nothing the admin API hides.
     *
     * @param adminPermissions each managed attribute's view and edit roles, by name
     * @param unmanagedVisible whether the realm's unmanaged-attribute policy lets admins view them
     */
    public List<String> visibleAttributes(Map<String, Set<String>> adminPermissions, boolean unmanagedVisible) {
        List<String> visible = new ArrayList<>();
        for (String name : attributes) {
            Set<String> roles = adminPermissions.get(name);
            if (roles == null ? unmanagedVisible : roles.contains("admin")) {
                visible.add(name);
            }
        }
        return visible;
    }
}
